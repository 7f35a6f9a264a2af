//! The bodies the v1 endpoints answer with, as types: a handler fills one
//! in and axum serialises it. Field names are the contract (add, never
//! rename or drop); the shapes of tickets, counters and queues they embed
//! are the parent module's.

use qcall_core::command::{ActionSpec, ArgNeed};
use qcall_core::stats::{AppointmentStats, GroupStats};
use serde::Serialize;
use utoipa::ToSchema;

use super::{CounterJson, TicketJson};
use crate::devices::PrinterInfo;

/// `{"ticket": ...}`: reading, returning, rating a ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketBody {
    pub ticket: TicketJson,
}

/// `{"ticket": ... | null}`: actions whose ticket may be gone from view.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaybeTicketBody {
    pub ticket: Option<TicketJson>,
}

/// `201` to `POST /tickets`: the ticket and what its printer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct TakenBody {
    pub ticket: TicketJson,
    /// `queued` (sent to the kiosk's printer: the result follows on
    /// `/ws/display` as a `ticket_print` notice with this `ticket_id`),
    /// `failed` (skipped: the printer is known to be down; `print_reason`
    /// says why) or `none` (no printer serves this source). Never waits
    /// for paper.
    #[schema(schema_with = super::doc::print_status)]
    pub print: &'static str,
    pub print_reason: Option<String>,
    pub printer: Option<String>,
}

/// What a notice slip printer did, with a suspend.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticePrint {
    #[schema(schema_with = super::doc::print_status)]
    pub status: &'static str,
    pub reason: Option<String>,
}

/// `GET /tickets?number=`: today's tickets with a number.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketsBody {
    pub tickets: Vec<super::TicketJson>,
}

/// `POST /session`: a signed-in staff member's session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    /// The bearer token for this session; shown only now.
    pub token: String,
    /// The account's role: `clerk`, `guide` or `supervisor`.
    #[schema(example = "clerk")]
    pub role: &'static str,
    /// When the session ends at the latest: the end of the business day
    /// (RFC 3339, the hall's offset). It ends sooner when signed out,
    /// revoked, or unused for `[staff] idle_hours`.
    pub expires_at: String,
    pub staff: StaffRef,
}

/// `GET /window/{counter}`: what the small screen above a counter shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowBody {
    pub counter: super::CounterRef,
    /// `closed`, `open_idle`, `calling`, `serving`, `paused` (暂停服务).
    pub state: &'static str,
    /// The ticket called or being served here, if any (public view).
    pub current: Option<super::TicketJson>,
    /// Who works at the counter while it is open: the signed-in clerk.
    pub clerk: Option<ClerkRef>,
    /// The event the answer is as of: frames after it are news.
    pub seq: u64,
}

/// The clerk at a counter, as its window screen names them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClerkRef {
    /// 工号, when they signed in with a staff account.
    pub id: Option<String>,
    pub name: String,
}

/// A staff account as supervisors see it (no password hash, ever).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffJson {
    /// 工号.
    pub id: String,
    pub name: String,
    /// `clerk`, `guide` or `supervisor`.
    pub role: &'static str,
    /// `active`, `locked` (wrong passwords) or `disabled`.
    pub state: &'static str,
}

/// `GET /staff`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffListBody {
    pub staff: Vec<StaffJson>,
}

/// One account after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffBody {
    pub staff: StaffJson,
}

/// A staff member as screens name them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffRef {
    /// 工号.
    #[schema(example = "1024")]
    pub id: String,
    #[schema(example = "李娜")]
    pub name: String,
}

/// A counter action's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CounterActionBody {
    pub ticket: Option<TicketJson>,
    #[schema(schema_with = super::doc::counter_state_or_null)]
    pub counter_state: Option<&'static str>,
    pub seq: u64,
    pub notice_print: Option<NoticePrint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountersBody {
    pub counters: Vec<CounterJson>,
}

/// A request made only to print, that printed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrintedBody {
    #[schema(schema_with = super::doc::printed)]
    pub print: &'static str,
    pub printer: Option<String>,
    pub ticket: Option<TicketJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrintersBody {
    pub printers: Vec<PrinterInfo>,
}

/// `POST /tickets/{id}/notify`: the number, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifyBody {
    pub ticket: i64,
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadyBody {
    pub ticket: i64,
    pub ready: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok`, or `unavailable` (with status 503) when the database cannot
    /// take changes.
    #[schema(schema_with = super::doc::health)]
    pub status: &'static str,
    pub seq: u64,
    pub day: String,
    /// Why it is unavailable: `database_gone`, `database_replaced`,
    /// `disk_full`, `database_corrupt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub reason: Option<&'static str>,
    /// What happened and what to do, for staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub message: Option<&'static str>,
    /// The last scheduled backup since the daemon started, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_backup: Option<LastBackup>,
}

/// How the last scheduled backup went.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastBackup {
    /// When it finished (RFC 3339).
    pub at: String,
    /// The backup's file name (in the backup directory).
    pub file: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockBody {
    pub now_ms: i64,
}

/// A booked appointment, times local to the hall.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookedJson {
    pub code: String,
    pub service: String,
    pub slot_start: String,
    pub slot_end: String,
    pub checkin_from: String,
    pub checkin_until: String,
}

/// `POST /bookings/confirm`: the appointment the applicant booked.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingConfirmedBody {
    /// The check-in code (also texted): typed at the kiosk on the day.
    pub code: String,
    pub service: String,
    /// When the slot starts.
    pub slot: String,
    pub slot_end: String,
    pub checkin_from: String,
    pub checkin_until: String,
    /// The ID number's last four characters, as staff will see it.
    pub id_last4: String,
}

/// `DELETE /bookings/{code}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingCancelledBody {
    pub code: String,
    pub slot: String,
    pub cancelled: bool,
}

/// One bookable slot of a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingSlotJson {
    /// `HH:MM`, for `slot` in `POST /bookings`.
    pub slot: String,
    pub start: String,
    /// Appointments still free in it.
    pub left: u32,
}

/// `GET /bookings/slots`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingSlotsBody {
    pub service: String,
    pub date: String,
    pub slots: Vec<BookingSlotJson>,
    /// Why nothing can be booked that day, if so.
    pub why_not: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookedBody {
    pub appointment: BookedJson,
}

/// One of today's appointments.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentJson {
    pub code: String,
    pub service: String,
    pub slot_start: String,
    pub name: Option<String>,
    /// Its ticket's number, once checked in.
    pub ticket: Option<String>,
    /// `pending`, `checked_in`, `late` or `missed`.
    #[schema(schema_with = super::doc::appointment_status)]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentsBody {
    pub appointments: Vec<AppointmentJson>,
}

/// Percentiles of a duration, seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitJson {
    pub p50: Option<i64>,
    pub p90: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceTimeJson {
    pub p50: Option<i64>,
    pub p90: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverTargetJson {
    pub yellow: u32,
    pub red: u32,
}

/// The figures of a group of tickets (hall, service, counter, clerk).
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupJson {
    pub issued: u32,
    pub served: u32,
    pub no_show: u32,
    pub cancelled: u32,
    pub open: u32,
    /// Still waiting or called when the day ended: closed at rollover.
    pub expired: u32,
    pub wait_s: WaitJson,
    pub service_time_s: ServiceTimeJson,
    pub satisfaction: Option<f64>,
    pub ratings: u32,
    pub over_target: OverTargetJson,
    pub extended: u32,
    pub estimate_error_s: Option<i64>,
    /// Median signed error of the estimate printed at issue, relative to
    /// the actual wait, over tickets that waited 5 minutes or more
    /// (-0.1: estimates ran 10% short).
    pub estimate_bias: Option<f64>,
    /// Share of called tickets whose actual wait fell inside the 80% range
    /// printed on them.
    pub estimate_range_coverage: Option<f64>,
    pub ratings_by_score: [u32; 5],
    /// Taken from home and checked in at the hall.
    pub arrived: u32,
    /// Taken from home and never checked in in time.
    pub lapsed: u32,
}

impl From<&GroupStats> for GroupJson {
    fn from(g: &GroupStats) -> GroupJson {
        GroupJson {
            issued: g.issued,
            served: g.served,
            no_show: g.no_show,
            cancelled: g.cancelled,
            open: g.open,
            expired: g.expired,
            wait_s: WaitJson {
                p50: g.wait_p50_s,
                p90: g.wait_p90_s,
                max: g.wait_max_s,
            },
            service_time_s: ServiceTimeJson {
                p50: g.service_p50_s,
                p90: g.service_p90_s,
            },
            satisfaction: g.satisfaction,
            ratings: g.ratings,
            over_target: OverTargetJson {
                yellow: g.over_yellow,
                red: g.over_red,
            },
            extended: g.extended,
            estimate_error_s: g.estimate_error_s,
            estimate_bias: g.estimate_bias,
            estimate_range_coverage: g.estimate_coverage,
            arrived: g.arrived,
            lapsed: g.lapsed,
            ratings_by_score: g.ratings_by_score,
        }
    }
}

/// A group's figures with the key that names it (`service`, `counter`,
/// `staff`) beside them.
#[derive(Debug, Serialize)]
pub struct Named<T> {
    #[serde(flatten)]
    pub figures: T,
    #[serde(flatten)]
    pub name: std::collections::BTreeMap<&'static str, String>,
}

impl<T> Named<T> {
    pub fn new(key: &'static str, id: &str, figures: T) -> Named<T> {
        Named {
            figures,
            name: [(key, id.to_owned())].into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentFiguresJson {
    pub booked: u32,
    pub checked_in: u32,
    pub late: u32,
    pub missed: u32,
    pub pending: u32,
}

impl From<&AppointmentStats> for AppointmentFiguresJson {
    fn from(g: &AppointmentStats) -> AppointmentFiguresJson {
        AppointmentFiguresJson {
            booked: g.booked,
            checked_in: g.checked_in,
            late: g.late,
            missed: g.missed,
            pending: g.pending,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentsStatsJson {
    pub total: AppointmentFiguresJson,
    #[schema(value_type = Vec<ServiceAppointmentsJson>)]
    pub services: Vec<Named<AppointmentFiguresJson>>,
}

// What `Named` looks like on the wire, for the OpenAPI document: the
// figures with the key that names them beside them.

/// One service's figures in `GET /stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceGroupJson {
    pub service: String,
    #[serde(flatten)]
    pub figures: GroupJson,
}

/// One counter's figures in `GET /stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CounterGroupJson {
    pub counter: String,
    #[serde(flatten)]
    pub figures: GroupJson,
}

/// One channel's figures in `GET /stats`: `walk_in`, `remote` or
/// `appointment`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelGroupJson {
    #[schema(schema_with = super::doc::channel)]
    pub channel: String,
    #[serde(flatten)]
    pub figures: GroupJson,
}

/// One clerk's figures in `GET /stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffGroupJson {
    pub staff: String,
    #[serde(flatten)]
    pub figures: GroupJson,
}

/// One service's appointment figures in `GET /stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceAppointmentsJson {
    pub service: String,
    #[serde(flatten)]
    pub figures: AppointmentFiguresJson,
}

/// `GET /stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsBody {
    pub date: String,
    pub total: GroupJson,
    pub issued_by_hour: [u32; 24],
    pub called_by_hour: [u32; 24],
    #[schema(value_type = Vec<ServiceGroupJson>)]
    pub services: Vec<Named<GroupJson>>,
    #[schema(value_type = Vec<CounterGroupJson>)]
    pub counters: Vec<Named<GroupJson>>,
    #[schema(value_type = Vec<StaffGroupJson>)]
    pub staff: Vec<Named<GroupJson>>,
    pub appointments: AppointmentsStatsJson,
    /// Visits per case and the one-visit share (最多跑一次).
    pub cases: super::CasesStatsJson,
    /// 好评率, 差评率, 回访率, 整改率.
    pub ratings: super::RatingStatsJson,
    /// Per channel (walk-in, remote, appointment), every channel listed:
    /// issued, arrivals and lapses, waits.
    #[schema(value_type = Vec<ChannelGroupJson>)]
    pub channels: Vec<Named<GroupJson>>,
    /// Minutes each clerk's counter stood paused or closed inside its
    /// hours (脱岗/早退), by who worked there; supervisors only, like `staff`.
    pub away: Vec<AwayJson>,
}

/// `POST /remote/start`'s answer: the request to confirm with the code.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemoteStartedBody {
    pub request_id: String,
    /// The code is good until then (5 minutes).
    pub expires_at: String,
}

/// One service as `/r` shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemoteServiceJson {
    pub service: String,
    pub name: super::Bilingual,
    /// What to bring (一次性告知), shown before taking a ticket.
    pub materials: Vec<super::Bilingual>,
    /// Whether a remote ticket can be taken now.
    pub takes_remote: bool,
    /// Why not, in words for the applicant.
    pub why_not: Option<String>,
    /// Remote tickets it takes in each hour (0: none).
    pub per_hour: u32,
    pub taken_this_hour: u32,
    /// Waiting now (remote tickets not yet arrived included).
    pub waiting: u32,
    /// The wait of an ordinary ticket taken now, as `GET /services` gives
    /// it: point, 80% range `[low, high]` (seconds) and in words.
    pub estimated_wait_s: u32,
    pub estimated_wait_range_s: [u32; 2],
    pub estimated_wait_text: super::Bilingual,
}

/// `GET /remote/services`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemoteServicesBody {
    pub services: Vec<RemoteServiceJson>,
}

/// One clerk's minutes away inside hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct AwayJson {
    /// Their 工号 (or the name a device token gave them).
    pub staff: String,
    pub minutes: i64,
}

/// `GET /audit` as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditBody {
    pub date: String,
    pub audit: Vec<serde_json::Value>,
}

/// One argument of a counter action.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionArgJson {
    pub name: &'static str,
    pub value: &'static str,
    /// `optional`, `required` or `one_of` (exactly one of the `one_of` ones).
    #[schema(schema_with = super::doc::need)]
    pub need: &'static str,
    pub supervisor_only: bool,
    pub help: &'static str,
}

/// One counter action, as the core's table has it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CounterActionJson {
    /// Path segment and websocket command.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub args: Vec<ActionArgJson>,
    /// Keyboard shortcut on the counter page.
    pub key: Option<String>,
    pub label: super::Bilingual,
    pub help: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CounterActionsBody {
    pub actions: Vec<CounterActionJson>,
}

pub fn action(a: &ActionSpec) -> CounterActionJson {
    CounterActionJson {
        name: a.name,
        aliases: a.aliases,
        args: a
            .args
            .iter()
            .map(|g| ActionArgJson {
                name: g.name,
                value: g.value,
                need: match g.need {
                    ArgNeed::Optional => "optional",
                    ArgNeed::Required => "required",
                    ArgNeed::OneOf => "one_of",
                },
                supervisor_only: g.supervisor_only,
                help: g.help,
            })
            .collect(),
        key: a.key.map(String::from),
        label: super::Bilingual {
            zh: a.label_zh.to_owned(),
            en: a.label_en.to_owned(),
        },
        help: a.help,
    }
}

//! The JSON shapes of the v1 contract, and the encoding of engine values
//! into them. The one place that decides what a client sees.
//!
//! v1 rule: fields may be added, never renamed or dropped.

pub use qcall_core::time::local_rfc3339;
use qcall_core::{CounterState, Event, Hall, Millis, Text};
use qcall_engine::{CounterView, Published, ServiceQueue, Snapshot, TicketView};
use serde::Serialize;
use utoipa::ToSchema;

mod rating;
mod responses;
pub use rating::*;
pub use responses::*;

/// Settings the wire needs beyond the hall itself.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// Base URL for `status_url` (`http://10.0.0.5:8080`); empty means
    /// relative URLs in frames and the request's Host in responses.
    pub public_url: String,
    pub hotline: String,
    /// Opening hours per weekday as configured, for display.
    pub hours: Vec<(String, Vec<String>)>,
    pub cutoff_minutes: u32,
    /// How wall displays lay out the hall.
    pub display: DisplaySettings,
    /// Whether ratings are uploaded (`[rating] upload_url` is set).
    pub upload_configured: bool,
}

/// The `[display]` config, as `GET /api/v1/display` serves it to the wall
/// screens.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct DisplaySettings {
    /// `columns` (latest calls beside counters and queues) or `list`.
    pub layout: String,
    /// Previous calls shown under the latest one.
    pub history: usize,
    /// Whether displays play a chime in the browser on each call.
    pub chime: bool,
    /// Notices scrolled along the bottom of every display.
    pub ticker: Vec<Bilingual>,
    /// Named groups of services; `/display?zone=NAME` shows only those.
    pub zones: Vec<Zone>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Zone {
    pub name: String,
    pub title: Bilingual,
    pub services: Vec<String>,
}

#[derive(Debug, Serialize, Clone, PartialEq, Eq, ToSchema)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl From<&Text> for Bilingual {
    fn from(t: &Text) -> Self {
        Bilingual {
            zh: t.zh.clone(),
            en: t.en.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CounterRef {
    pub id: String,
    pub number: u32,
    pub name: Bilingual,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketJson {
    pub id: i64,
    pub number: String,
    pub service: String,
    pub service_name: Bilingual,
    pub priority: String,
    pub green: bool,
    pub mark: Option<String>,
    #[schema(schema_with = doc::ticket_state)]
    pub state: &'static str,
    pub issued_at: String,
    pub ahead: u32,
    /// The point estimate of the wait until called, seconds (0 once called).
    pub estimated_wait_s: u32,
    /// The wait's 80% interval `[low, high]`, seconds: the actual wait falls
    /// inside it four times out of five.
    pub estimated_wait_range_s: [u32; 2],
    /// The range as screens and slips say it: "约 25-35 分钟" / "about 25-35
    /// min", or "马上" / "a few minutes" when short.
    pub estimated_wait_text: Bilingual,
    /// No counter that serves its service is open: the figures above are a
    /// guess, and screens say "no counter open now" instead.
    pub no_counter_open: bool,
    /// With no counter open: when the hours say service starts (before
    /// opening, over a break), hall-local RFC 3339; else null.
    pub service_starts_at: Option<String>,
    /// The ticket's page, `/t/{id}`; for its holder with `?k=KEY`.
    pub status_url: String,
    /// The ticket's key, only in the holder's view (the response to whoever
    /// took it, and `GET /tickets/{id}?k=KEY`): `notify`, `return` and the
    /// applicant's rating need it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_key: Option<String>,
    pub counter: Option<CounterRef>,
    /// The clerk who called it, when their token names them; `null` in
    /// public views (see [`Viewer`]).
    pub served_by: Option<String>,
    pub target_counter: Option<String>,
    pub called_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub recalls: u32,
    pub source: Option<String>,
    pub rating: Option<u8>,
    pub day: String,
    /// A suspended ticket (挂起/补件), in its holder's and staff's views:
    /// what to bring back and until when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspension: Option<SuspensionJson>,
    /// How it was taken: `walk_in`, `remote` (from home, `/r`) or
    /// `appointment`. Screens mark remote and booked tickets by it.
    #[schema(schema_with = doc::channel)]
    pub channel: &'static str,
    /// A remote ticket: when its applicant checked in at the hall.
    pub arrived_at: Option<String>,
    /// A remote ticket not yet arrived: when it is expected to be called
    /// (now plus the estimate), so the applicant knows when to be there.
    pub expected_call_at: Option<String>,
    /// A remote ticket that reached the front before its applicant
    /// arrived: it lapses unless they check in before this time.
    pub lapse_at: Option<String>,
    /// A remote ticket already moved back once (`defer` is once only).
    pub deferred: bool,
    /// Only in the holder's view of a remote ticket not yet arrived: the
    /// 6-digit code to type at the kiosk to check in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival_code: Option<String>,
    /// The case number (办件编号) attached to it, only in staff views (a
    /// counter's own command results, staff responses): never on a screen
    /// or a phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_no: Option<String>,
}

/// What a suspended ticket's holder brings back, and by when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuspensionJson {
    /// The materials still missing, as the notice slip lists them.
    pub missing: Vec<String>,
    /// The last day (YYYY-MM-DD, the hall's calendar) it may come back
    /// with this ticket (`[queue] suspend_days` after its day).
    pub return_by: String,
}

pub fn counter_ref(hall: &Hall, id: &str) -> Option<CounterRef> {
    hall.counter(id).map(|c| CounterRef {
        id: c.id.clone(),
        number: c.number,
        name: (&c.name).into(),
    })
}

/// Who a view is for. Staff names are for staff: an applicant's phone,
/// the wall display and any unauthenticated request see tickets without the
/// clerk who served them (`served_by` is `null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Anyone: public endpoints and every hub frame.
    Public,
    /// A staff credential's response (counter actions, the supervisor's
    /// overview).
    Staff,
    /// Whoever holds the ticket: their own rating, no staff names.
    Holder,
}

/// A ticket as the public sees it.
pub fn ticket(hall: &Hall, base_url: &str, v: &TicketView) -> TicketJson {
    ticket_for(Viewer::Public, hall, base_url, v)
}

/// A ticket as its holder sees it: the public view plus its key, in
/// `ticket_key` and in `status_url` (`/t/{id}?k=KEY`, the QR code's link).
pub fn holder_ticket(
    hall: &Hall,
    base_url: &str,
    keys: &qcall_store::TicketKeys,
    v: &TicketView,
) -> TicketJson {
    let mut json = ticket_for(Viewer::Holder, hall, base_url, v);
    json.status_url = keys.status_url(base_url, v.ticket.id);
    json.ticket_key = Some(keys.key(v.ticket.id));
    if v.ticket.state == qcall_core::TicketState::Remote {
        json.arrival_code = Some(keys.arrival_code(v.ticket.id));
    }
    json
}

/// A ticket as `viewer` may see it.
pub fn ticket_for(viewer: Viewer, hall: &Hall, base_url: &str, v: &TicketView) -> TicketJson {
    let t = &v.ticket;
    let class = hall.class(&t.class);
    let time = |at: Option<Millis>| at.map(|at| local_rfc3339(at, &hall.tz));
    TicketJson {
        id: t.id.0,
        number: t.number.clone(),
        service: t.service.clone(),
        service_name: hall.service(&t.service).map_or(
            Bilingual {
                zh: t.service.clone(),
                en: t.service.clone(),
            },
            |s| (&s.name).into(),
        ),
        priority: t.class.clone(),
        green: class.is_some_and(|c| c.green),
        mark: class.and_then(|c| c.mark.clone()),
        state: t.state.as_str(),
        issued_at: local_rfc3339(t.issued_at, &hall.tz),
        ahead: v.ahead,
        estimated_wait_s: v.estimated_wait_s,
        estimated_wait_range_s: [v.estimated_wait_range_s.0, v.estimated_wait_range_s.1],
        estimated_wait_text: (&v.wait_words(hall)).into(),
        no_counter_open: v.no_counter.is_some(),
        service_starts_at: v
            .no_counter
            .and_then(|n| n.opens_at)
            .map(|at| local_rfc3339(at, &hall.tz)),
        status_url: format!("{base_url}/t/{}", t.id),
        ticket_key: None,
        served_by: match viewer {
            Viewer::Staff => t.served_by.clone(),
            Viewer::Public | Viewer::Holder => None,
        },
        counter: t.counter.as_deref().and_then(|c| counter_ref(hall, c)),
        target_counter: t.target_counter.clone(),
        called_at: time(t.called_at),
        started_at: time(t.started_at),
        finished_at: time(t.finished_at),
        recalls: t.recalls,
        source: t.source.clone(),
        // How the applicant rated is theirs and the hall's, not the wall's.
        rating: match viewer {
            Viewer::Staff | Viewer::Holder => t.rating,
            Viewer::Public => None,
        },
        day: t.day.to_string(),
        suspension: None,
        channel: t.channel.as_str(),
        arrived_at: time(t.arrived_at),
        expected_call_at: (t.state == qcall_core::TicketState::Remote)
            .then(|| local_rfc3339(v.now + i64::from(v.estimated_wait_s) * 1000, &hall.tz)),
        lapse_at: time(t.lapse_at),
        deferred: t.deferred,
        arrival_code: None,
        case_no: match viewer {
            Viewer::Staff => t.case_no.clone(),
            Viewer::Public | Viewer::Holder => None,
        },
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CounterJson {
    pub id: String,
    pub number: u32,
    pub name: Bilingual,
    pub services: Vec<String>,
    #[schema(schema_with = doc::counter_state)]
    pub state: &'static str,
    pub current: Option<TicketJson>,
}

/// A counter as the public sees it.
pub fn counter(hall: &Hall, base_url: &str, v: &CounterView) -> Option<CounterJson> {
    counter_for(Viewer::Public, hall, base_url, v)
}

/// A counter as `viewer` may see it.
pub fn counter_for(
    viewer: Viewer,
    hall: &Hall,
    base_url: &str,
    v: &CounterView,
) -> Option<CounterJson> {
    let def = hall.counter(&v.id)?;
    Some(CounterJson {
        id: def.id.clone(),
        number: def.number,
        name: (&def.name).into(),
        services: def.services.clone(),
        state: v.state.as_str(),
        current: v
            .current
            .as_ref()
            .map(|t| ticket_for(viewer, hall, base_url, t)),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceQueueJson {
    pub service: String,
    pub name: Bilingual,
    pub waiting: usize,
    /// Waiting tickets per priority class.
    pub by_class: serde_json::Map<String, serde_json::Value>,
    pub oldest_wait_s: Option<i64>,
    /// `green`, `yellow` or `red` against the service's wait targets.
    #[schema(schema_with = doc::sla)]
    pub sla: &'static str,
    pub issued_today: u32,
}

/// The SLA colour of a wait against a service's thresholds.
pub fn sla(hall: &Hall, service: &str, oldest_wait_s: Option<i64>) -> &'static str {
    let (Some(s), Some(w)) = (hall.service(service), oldest_wait_s) else {
        return "green";
    };
    match s.wait_level(w) {
        Some(qcall_core::alerts::Level::Red) => "red",
        Some(qcall_core::alerts::Level::Yellow) => "yellow",
        None => "green",
    }
}

pub fn queues(hall: &Hall, queues: &[ServiceQueue], now: Millis) -> Vec<ServiceQueueJson> {
    queues
        .iter()
        .map(|q| {
            let oldest_wait_s = q.oldest_issued_at.map(|at| ((now - at) / 1000).max(0));
            ServiceQueueJson {
                service: q.service.clone(),
                name: hall.service(&q.service).map_or(
                    Bilingual {
                        zh: String::new(),
                        en: String::new(),
                    },
                    |s| (&s.name).into(),
                ),
                waiting: q.waiting,
                by_class: q
                    .by_class
                    .iter()
                    .map(|(c, n)| (c.clone(), serde_json::Value::from(*n)))
                    .collect(),
                oldest_wait_s,
                sla: sla(hall, &q.service, oldest_wait_s),
                issued_today: q.issued_today,
            }
        })
        .collect()
}

/// A call in progress, for the queue overview and wall displays.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallJson {
    pub counter: CounterRef,
    #[schema(schema_with = doc::counter_state)]
    pub state: &'static str,
    pub ticket: TicketJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueJson {
    pub seq: u64,
    pub at: String,
    pub services: Vec<ServiceQueueJson>,
    pub calls: Vec<CallJson>,
    pub open_tickets: usize,
}

/// The queue overview as the public sees it.
pub fn queue(hall: &Hall, base_url: &str, snap: &Snapshot) -> QueueJson {
    queue_for(Viewer::Public, hall, base_url, snap)
}

/// The queue overview as `viewer` may see it.
pub fn queue_for(viewer: Viewer, hall: &Hall, base_url: &str, snap: &Snapshot) -> QueueJson {
    let calls = snap
        .counters
        .iter()
        .filter(|c| matches!(c.state, CounterState::Calling | CounterState::Serving))
        .filter_map(|c| {
            Some(CallJson {
                counter: counter_ref(hall, &c.id)?,
                state: c.state.as_str(),
                ticket: ticket_for(viewer, hall, base_url, c.current.as_ref()?),
            })
        })
        .collect();
    QueueJson {
        seq: snap.seq,
        at: local_rfc3339(snap.at, &hall.tz),
        services: queues(hall, &snap.queues, snap.at),
        calls,
        open_tickets: snap.open_tickets,
    }
}

#[derive(Debug, Serialize)]
pub struct SnapshotFrame<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub seq: u64,
    pub day: String,
    pub hall: Bilingual,
    pub hotline: &'a str,
    pub counters: Vec<CounterJson>,
    pub queue: QueueJson,
    pub recent_calls: Vec<TicketJson>,
    /// Device health as it is now (`devices::health`), so a screen that
    /// connects after a printer failed knows it.
    pub devices: serde_json::Value,
}

/// The snapshot frame, public: every stream gets the same one.
pub fn snapshot_frame(
    hall: &Hall,
    site: &Site,
    snap: &Snapshot,
    devices: serde_json::Value,
) -> String {
    let base = site.public_url.as_str();
    let frame = SnapshotFrame {
        kind: "snapshot",
        seq: snap.seq,
        day: snap.day.to_string(),
        hall: (&hall.name).into(),
        hotline: &site.hotline,
        counters: snap
            .counters
            .iter()
            .filter_map(|c| counter(hall, base, c))
            .collect(),
        queue: queue(hall, base, snap),
        recent_calls: snap
            .recent_calls
            .iter()
            .map(|t| ticket(hall, base, t))
            .collect(),
        devices,
    };
    serde_json::to_string(&frame).unwrap_or_default()
}

#[derive(Debug, Serialize)]
struct EventFrame {
    #[serde(rename = "type")]
    kind: &'static str,
    seq: u64,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<TicketJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<CounterJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recalls: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from_counter: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    services: Option<Vec<ServiceQueueJson>>,
}

/// The frame of one published item, as JSON text. Public: it is encoded
/// once for every stream, `/ws/display` included.
pub fn published_frame(hall: &Hall, site: &Site, p: &Published) -> String {
    let base = site.public_url.as_str();
    let frame = match p {
        Published::Event {
            rec,
            ticket: t,
            counter: c,
        } => {
            let mut frame = EventFrame {
                kind: rec.event.kind(),
                seq: rec.seq,
                at: local_rfc3339(rec.at, &hall.tz),
                ticket: t.as_ref().map(|t| ticket(hall, base, t)),
                counter: c.as_ref().and_then(|c| counter(hall, base, c)),
                recalls: None,
                rating: None,
                from_counter: None,
                services: None,
            };
            match &rec.event {
                Event::TicketRecalled { recalls, .. } => frame.recalls = Some(*recalls),
                Event::TicketDone { rating, .. } => frame.rating = *rating,
                Event::TicketTransferred { from_counter, .. } => {
                    frame.from_counter = from_counter.clone()
                }
                _ => {}
            }
            frame
        }
        Published::QueueChanged { seq, at, queues: q } => EventFrame {
            kind: "queue_changed",
            seq: *seq,
            at: local_rfc3339(*at, &hall.tz),
            ticket: None,
            counter: None,
            recalls: None,
            rating: None,
            from_counter: None,
            services: Some(queues(hall, q, *at)),
        },
    };
    serde_json::to_string(&frame).unwrap_or_default()
}

/// One audited event as a row for supervisors.
pub fn audit_row(hall: &Hall, rec: &qcall_core::Recorded) -> serde_json::Value {
    let (action, by, detail) = match &rec.event {
        Event::Audit {
            action, by, detail, ..
        } => (action.clone(), Some(by.clone()), detail.clone()),
        Event::TicketReentered { by, .. } => ("reenter".into(), Some(by.clone()), String::new()),
        Event::TicketTransferred {
            to_service,
            to_counter,
            ..
        } => (
            "transfer".into(),
            None,
            match to_counter {
                Some(c) => format!("to counter {c}"),
                None => format!("to service {to_service}"),
            },
        ),
        Event::Rectified { action, by, .. } => {
            use qcall_core::rectify::RectifyAction as A;
            let detail = match action {
                A::Assign { to } => format!("assigned to {to}"),
                A::Callback { outcome } => outcome.clone(),
                A::Fix { note } => note.clone(),
                A::RateFix { score } => format!("fix rated {score}/5"),
            };
            (rec.event.kind().to_owned(), Some(by.clone()), detail)
        }
        other => (other.kind().to_owned(), None, String::new()),
    };
    serde_json::json!({
        "seq": rec.seq,
        "at": local_rfc3339(rec.at, &hall.tz),
        "kind": rec.event.kind(),
        "action": action,
        "by": by.or_else(|| rec.event.counter().map(|c| format!("counter {c}"))),
        "counter": rec.event.counter(),
        "ticket": rec.event.ticket().map(|t| t.0),
        "detail": detail,
    })
}

// ---------------------------------------------------------------- GET /services

/// `GET /api/v1/services`: the hall as a kiosk shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServicesJson {
    pub hall: Bilingual,
    pub hotline: String,
    /// Opening hours per weekday as configured, for display only: whether a
    /// service takes tickets is each service's `intake`.
    pub hours: std::collections::BTreeMap<String, Vec<String>>,
    pub cutoff_minutes: u32,
    /// The hall's clock.
    pub now: String,
    pub timezone: Option<String>,
    pub services: Vec<ServiceJson>,
    pub classes: Vec<ClassJson>,
}

/// One service with what a kiosk needs to offer it or say why not.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceJson {
    pub code: String,
    pub prefix: String,
    pub name: Bilingual,
    pub materials: Vec<Bilingual>,
    pub target_wait: TargetWait,
    pub daily_cap: Option<u32>,
    pub avg_service_s: u32,
    pub counters: Vec<String>,
    pub waiting: usize,
    pub issued_today: u32,
    #[schema(schema_with = doc::sla)]
    pub sla: &'static str,
    /// Whether a ticket may be taken now (hours, cut-off and `enforce`).
    pub open_now: bool,
    /// `open`, `not_yet_open`, `past_cutoff`, `closed_today`, or
    /// `queue_full` (with `[hours] cutoff = "forecast"`).
    #[schema(schema_with = doc::intake)]
    pub intake: &'static str,
    /// The wait of an ordinary ticket taken now: point, 80% range
    /// `[low, high]` (seconds) and in words, as the kiosk's tile says it.
    pub estimated_wait_s: u32,
    pub estimated_wait_range_s: [u32; 2],
    pub estimated_wait_text: Bilingual,
    /// When tickets may next be taken, hall-local RFC 3339; `null` while
    /// open, or when the hours never open again.
    pub opens_at: Option<String>,
    pub sold_out: bool,
    pub hours_enforced: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetWait {
    pub yellow_s: u32,
    pub red_s: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClassJson {
    pub id: String,
    pub name: Bilingual,
    pub weight: u32,
    pub green: bool,
    pub mark: Option<String>,
    pub default: bool,
}

/// The wire name of an intake state.
/// The intake state of a service whose queue, with `[hours] cutoff =
/// "forecast"`, already runs past closing plus the extended minutes.
pub const QUEUE_FULL: &str = "queue_full";

pub fn intake(i: qcall_core::hours::Intake) -> &'static str {
    use qcall_core::hours::Intake;
    match i {
        Intake::Open { .. } => "open",
        Intake::NotYetOpen { .. } => "not_yet_open",
        Intake::PastCutoff { .. } => "past_cutoff",
        Intake::ClosedToday => "closed_today",
    }
}

/// One class as the kiosk's green channel lists it.
pub fn class(hall: &Hall, c: &qcall_core::PriorityClass) -> ClassJson {
    ClassJson {
        id: c.id.clone(),
        name: (&c.name).into(),
        weight: c.weight,
        green: c.green,
        mark: c.mark.clone(),
        default: c.id == hall.default_class,
    }
}

/// The schemas of the wire's enumerated strings, for the OpenAPI document:
/// built from the same tables and functions the values come from.
pub(crate) mod doc {
    use qcall_core::alerts::Level;
    use qcall_core::stats::AppointmentOutcome;
    use qcall_core::{CounterState, TicketState};
    use utoipa::openapi::schema::SchemaType;
    use utoipa::openapi::{Object, ObjectBuilder, Type};

    use crate::devices::PrintStatus;

    fn strings(values: impl IntoIterator<Item = &'static str>, nullable: bool) -> Object {
        let mut values: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
        let kind: SchemaType = if nullable {
            values.push(serde_json::Value::Null);
            [Type::String, Type::Null].into_iter().collect()
        } else {
            Type::String.into()
        };
        ObjectBuilder::new()
            .schema_type(kind)
            .enum_values(Some(values))
            .build()
    }

    pub fn ticket_state() -> Object {
        strings(TicketState::ALL.map(TicketState::as_str), false)
    }

    pub fn channel() -> Object {
        strings(qcall_core::ticket::Channel::ALL.map(|c| c.as_str()), false)
    }

    pub fn counter_state() -> Object {
        strings(CounterState::ALL.map(CounterState::as_str), false)
    }

    pub fn counter_state_or_null() -> Object {
        strings(CounterState::ALL.map(CounterState::as_str), true)
    }

    /// [`super::sla`]'s colours.
    pub fn sla() -> Object {
        strings(
            ["green", Level::Yellow.as_str(), Level::Red.as_str()],
            false,
        )
    }

    /// [`super::intake`]'s names.
    pub fn intake() -> Object {
        strings(
            [
                "open",
                "not_yet_open",
                "past_cutoff",
                "closed_today",
                super::QUEUE_FULL,
            ],
            false,
        )
    }

    pub fn print_status() -> Object {
        strings(
            [
                PrintStatus::Printed,
                PrintStatus::Failed,
                PrintStatus::None,
                PrintStatus::Queued,
            ]
            .map(PrintStatus::as_str),
            false,
        )
    }

    /// A request made only to print answers 200 only when it printed.
    pub fn printed() -> Object {
        strings([PrintStatus::Printed.as_str()], false)
    }

    pub fn appointment_status() -> Object {
        strings(
            [
                AppointmentOutcome::Pending,
                AppointmentOutcome::CheckedIn,
                AppointmentOutcome::Late,
                AppointmentOutcome::Missed,
            ]
            .map(AppointmentOutcome::as_str),
            false,
        )
    }

    /// `/healthz`'s `status`.
    pub fn health() -> Object {
        strings(["ok", "unavailable"], false)
    }

    /// [`super::action`]'s names for an argument's need.
    pub fn need() -> Object {
        strings(["optional", "required", "one_of"], false)
    }
}

//! The hall's static definition: services, priority classes, counters and the
//! calling policy.
//!
//! A [`Hall`] is built once from the config file by the binary and then only
//! read. It is validated on construction ([`Hall::new`]) so that everything
//! downstream may assume every reference (a counter's services, the default
//! class) resolves.

use std::collections::HashMap;

use jiff::tz::TimeZone;

use crate::hours::{Intake, Minute, Schedule};
use crate::time::Millis;

/// A text in the hall's two languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// One kind of business the hall handles, with its own queue and numbering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Short code used in URLs and the API, e.g. `A`.
    pub code: String,
    pub name: Text,
    /// Printed before the digits, e.g. `A` in `A012`.
    pub prefix: String,
    /// Materials an applicant must bring (一次性告知), shown and printed.
    pub materials: Vec<Text>,
    /// A waiting time above this turns the service yellow (seconds).
    pub target_wait_yellow_s: u32,
    /// A waiting time above this turns the service red (seconds).
    pub target_wait_red_s: u32,
    /// At most this many tickets a day; `None` is unlimited.
    pub daily_cap: Option<u32>,
    /// Typical service time at a counter, used for wait estimates until the
    /// day has its own measurements (seconds).
    pub avg_service_s: u32,
}

impl Service {
    /// The SLA light of a wait of `waited_s` seconds against this service's
    /// targets: `None` is green. The one place the thresholds are compared.
    pub fn wait_level(&self, waited_s: i64) -> Option<Level> {
        if waited_s >= i64::from(self.target_wait_red_s) {
            Some(Level::Red)
        } else if waited_s >= i64::from(self.target_wait_yellow_s) {
            Some(Level::Yellow)
        } else {
            None
        }
    }
}

/// How bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Yellow,
    Red,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Yellow => "yellow",
            Level::Red => "red",
        }
    }
}

/// Queue-length and service-time limits of a service (0 / `None`: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertLimits {
    pub queue_yellow: u32,
    pub queue_red: u32,
    /// 限时办结: a ticket served longer than this raises an alert.
    pub service_limit_ms: Option<Millis>,
}

/// A priority class such as `normal` or `elderly`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorityClass {
    pub id: String,
    pub name: Text,
    /// Larger is served sooner; the default class should have the smallest.
    pub weight: u32,
    /// Green channel (绿色通道): elderly, disabled, pregnant and the like.
    pub green: bool,
    /// Mark shown next to the number, e.g. `绿`.
    pub mark: Option<String>,
    /// Extra prefix before the service prefix, e.g. `L` gives `LA012`.
    /// Numbering stays per service, so numbers stay unique.
    pub prefix: Option<String>,
}

/// A counter (窗口) and the services it handles, in its order of preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterDef {
    pub id: String,
    /// The number spoken and shown: "3 号窗口".
    pub number: u32,
    pub name: Text,
    /// Service codes, most preferred first.
    pub services: Vec<String>,
    /// Whether that order only breaks the policy's ties or comes first.
    pub service_order: ServiceOrder,
}

/// What a counter's order of services means for the next call; see
/// [`crate::policy`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ServiceOrder {
    /// The class and the policy decide across all its services; the order
    /// decides among tickets they rank equal. A green-channel ticket of the
    /// second service goes before ordinary tickets of the first.
    #[default]
    Tiebreak,
    /// The first service with anyone waiting is served, whatever waits for
    /// the next (`strict_service_order = true`).
    Strict,
}

/// Which next-ticket rule the hall uses; see [`crate::policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// Highest weight first, oldest first within a weight. Can starve.
    Strict,
    /// After `n` priority calls in a row at a counter, the oldest default-class
    /// ticket goes next if it has waited longer than the best priority ticket.
    Ratio { n: u32 },
    /// Highest `waited × weight` first.
    Aging,
}

/// The policy plus the `max_wait` override that applies on top of any kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub kind: PolicyKind,
    /// A ticket that has waited this long goes before any other that has not,
    /// oldest first, whatever its class.
    pub max_wait_ms: Option<Millis>,
}

/// A per-time-slot ticket quota (分时段限号).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotQuota {
    /// Slot length; slots start at local midnight.
    pub minutes: Minute,
    /// Tickets per slot.
    pub cap: u32,
}

/// How a no-show may come back (过号重排).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reentry {
    /// Within this long after being marked no-show; 0 disables re-entry.
    pub window_ms: Millis,
    /// It waits again behind this many of the tickets waiting at its return.
    pub behind: usize,
}

/// How appointments (预约) are checked in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRules {
    /// The priority class of a checked-in appointment's ticket.
    pub class: String,
    /// Length of a bookable slot.
    pub slot_ms: Millis,
    /// Check-in opens this long before the slot starts...
    pub early_ms: Millis,
    /// ...and closes this long after it ends.
    pub late_ms: Millis,
    /// Later than that: `true` issues an ordinary ticket, `false` refuses.
    pub late_as_normal: bool,
}

/// Appointments applicants book themselves on `/r`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfBooking {
    /// Off: only supervisors and integrations book.
    pub enabled: bool,
    /// Self-booked appointments per service and slot, at most.
    pub per_slot: u32,
    /// How many days ahead a slot may be booked (today is day 0).
    pub days_ahead: u32,
}

impl Default for SelfBooking {
    fn default() -> Self {
        SelfBooking {
            enabled: false,
            per_slot: 4,
            days_ahead: 14,
        }
    }
}

/// How tickets taken from home (`/r`) are let in, so that walk-ins come
/// first where it matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRules {
    /// Remote taking stops this long before the walk-in cut-off.
    pub cutoff_ms: Millis,
    /// A remote ticket that reached the front lapses when not arrived this
    /// long after its estimated call time.
    pub grace_ms: Millis,
    /// A remote ticket may be moved back once, by at most this many places.
    pub defer_max_places: u32,
    /// Codes asked for by one phone number in an hour, at most.
    pub codes_per_phone_hour: u32,
}

impl Default for RemoteRules {
    fn default() -> Self {
        RemoteRules {
            cutoff_ms: 60 * 60_000,
            grace_ms: 15 * 60_000,
            defer_max_places: 5,
            codes_per_phone_hour: 5,
        }
    }
}

/// A remote request's code is good this long.
pub const REMOTE_CODE_TTL_MS: Millis = 5 * 60_000;
/// This many wrong codes lock a request.
pub const REMOTE_CODE_TRIES: u32 = 5;
/// Wrong last 4 phone digits a remote ticket takes at check-in before only
/// its 6-digit arrival code (or a guide) checks it in.
pub const ARRIVAL_DIGITS_TRIES: u32 = 5;
/// Wrong last 4 phone digits a booking takes before it can no longer be
/// cancelled from a phone (the hall still can).
pub const BOOKING_DIGITS_TRIES: u32 = 5;

/// The whole static hall.
#[derive(Debug, Clone)]
pub struct Hall {
    pub name: Text,
    pub tz: TimeZone,
    pub services: Vec<Service>,
    pub classes: Vec<PriorityClass>,
    /// The class of a ticket taken without asking for one (usually `normal`).
    pub default_class: String,
    pub counters: Vec<CounterDef>,
    pub policy: Policy,
    /// A ticket recalled this many times becomes a no-show on the next recall.
    pub recall_limit: u32,
    /// Digits after the prefix; numbers past the width simply grow a digit,
    /// they never wrap within a day.
    pub number_width: usize,
    /// The hall's opening hours.
    pub schedule: Schedule,
    /// Whether hours refuse tickets; off, they are only shown (trials, demos,
    /// 24-hour service).
    pub hours_enforced: bool,
    pub reentry: Reentry,
    pub appointments: AppointmentRules,
    /// A suspended ticket may return within this many days (0: same day only).
    pub suspend_days: u32,
    /// A counter paused or closed this long inside its hours, while its
    /// services have people waiting, raises an alert (脱岗/早退); `None`: never.
    pub away_alert_ms: Option<crate::time::Millis>,
    /// Text an applicant who left a phone number when this many are ahead.
    pub notify_ahead: u32,
    /// How ratings are taken (好差评): indicators, reasons, fix deadline.
    pub rating: crate::rating::RatingRules,
    pub remote: RemoteRules,
    pub self_booking: SelfBooking,
    /// Per service: remote tickets taken at most in each hour (none: off).
    remote_per_hour: HashMap<String, u32>,
    /// Services with hours of their own.
    service_schedules: HashMap<String, Schedule>,
    quotas: HashMap<String, SlotQuota>,
    alert_limits: HashMap<String, AlertLimits>,
    service_ix: HashMap<String, usize>,
    class_ix: HashMap<String, usize>,
    counter_ix: HashMap<String, usize>,
}

/// Why a hall definition cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HallError {
    #[error("the hall defines no services; add at least one [[services]] entry")]
    NoServices,
    #[error("service code `{0}` is defined twice; service codes must be unique")]
    DuplicateService(String),
    #[error("service prefix `{0}` is used by two services; ticket numbers would collide")]
    DuplicatePrefix(String),
    #[error("priority class `{0}` is defined twice")]
    DuplicateClass(String),
    #[error("counter `{0}` is defined twice")]
    DuplicateCounter(String),
    #[error(
        "counter number {0} is used by two counters; the hall would announce the same window twice"
    )]
    DuplicateCounterNumber(u32),
    #[error("counter `{counter}` lists service `{service}`, which is not defined")]
    CounterUnknownService { counter: String, service: String },
    #[error("counter `{0}` serves no services; list at least one")]
    CounterWithoutServices(String),
    #[error("the default priority class `{0}` is not defined in [[classes]]")]
    UnknownDefaultClass(String),
    #[error("service `{0}`: the red wait threshold must not be below the yellow one")]
    Thresholds(String),
    #[error("service `{0}`: code and prefix must be 1-4 ASCII letters or digits")]
    BadCode(String),
    #[error("counter id `{0}` must be 1-32 ASCII letters, digits, '-' or '_'")]
    BadCounterId(String),
    #[error("number_width must be between 1 and 6, not {0}")]
    NumberWidth(usize),
    #[error("policy ratio needs n of at least 1")]
    RatioZero,
}

impl Hall {
    /// The last day a ticket of `day` that was suspended may come back
    /// with its own number (the return's rule: at most `suspend_days`
    /// after the ticket's day).
    pub fn return_by(&self, day: crate::time::BusinessDay) -> crate::time::BusinessDay {
        day.checked_add(jiff::Span::new().days(i64::from(self.suspend_days)))
            .unwrap_or(day)
    }

    /// Validates and indexes a hall definition.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        name: Text,
        tz: TimeZone,
        services: Vec<Service>,
        classes: Vec<PriorityClass>,
        default_class: String,
        counters: Vec<CounterDef>,
        policy: Policy,
        recall_limit: u32,
        number_width: usize,
    ) -> Result<Hall, HallError> {
        if services.is_empty() {
            return Err(HallError::NoServices);
        }
        if !(1..=6).contains(&number_width) {
            return Err(HallError::NumberWidth(number_width));
        }
        if let PolicyKind::Ratio { n: 0 } = policy.kind {
            return Err(HallError::RatioZero);
        }
        let short_code =
            |s: &str| (1..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
        let mut service_ix = HashMap::new();
        let mut prefixes = HashMap::new();
        for (i, s) in services.iter().enumerate() {
            if !short_code(&s.code) || !short_code(&s.prefix) {
                return Err(HallError::BadCode(s.code.clone()));
            }
            if service_ix.insert(s.code.clone(), i).is_some() {
                return Err(HallError::DuplicateService(s.code.clone()));
            }
            if prefixes.insert(s.prefix.clone(), i).is_some() {
                return Err(HallError::DuplicatePrefix(s.prefix.clone()));
            }
            if s.target_wait_red_s < s.target_wait_yellow_s {
                return Err(HallError::Thresholds(s.code.clone()));
            }
        }
        let mut class_ix = HashMap::new();
        for (i, c) in classes.iter().enumerate() {
            if class_ix.insert(c.id.clone(), i).is_some() {
                return Err(HallError::DuplicateClass(c.id.clone()));
            }
        }
        if !class_ix.contains_key(&default_class) {
            return Err(HallError::UnknownDefaultClass(default_class));
        }
        let mut counter_ix = HashMap::new();
        let mut numbers = HashMap::new();
        for (i, c) in counters.iter().enumerate() {
            let id_ok = (1..=32).contains(&c.id.len())
                && c.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !id_ok {
                return Err(HallError::BadCounterId(c.id.clone()));
            }
            if counter_ix.insert(c.id.clone(), i).is_some() {
                return Err(HallError::DuplicateCounter(c.id.clone()));
            }
            if numbers.insert(c.number, i).is_some() {
                return Err(HallError::DuplicateCounterNumber(c.number));
            }
            if c.services.is_empty() {
                return Err(HallError::CounterWithoutServices(c.id.clone()));
            }
            for s in &c.services {
                if !service_ix.contains_key(s) {
                    return Err(HallError::CounterUnknownService {
                        counter: c.id.clone(),
                        service: s.clone(),
                    });
                }
            }
        }
        let appointments = AppointmentRules {
            class: default_class.clone(),
            slot_ms: 30 * 60_000,
            early_ms: 30 * 60_000,
            late_ms: 15 * 60_000,
            late_as_normal: true,
        };
        Ok(Hall {
            appointments,
            suspend_days: 7,
            away_alert_ms: Some(10 * 60_000),
            notify_ahead: 3,
            rating: crate::rating::RatingRules::default(),
            remote: RemoteRules::default(),
            self_booking: SelfBooking::default(),
            remote_per_hour: HashMap::new(),
            name,
            tz,
            services,
            classes,
            default_class,
            counters,
            policy,
            recall_limit,
            number_width,
            schedule: Schedule::always(),
            hours_enforced: false,
            reentry: Reentry {
                window_ms: 30 * 60_000,
                behind: 3,
            },
            service_schedules: HashMap::new(),
            quotas: HashMap::new(),
            alert_limits: HashMap::new(),
            service_ix,
            class_ix,
            counter_ix,
        })
    }

    /// Sets the hall's hours and whether they refuse tickets.
    pub fn with_schedule(mut self, schedule: Schedule, enforced: bool) -> Hall {
        self.schedule = schedule;
        self.hours_enforced = enforced;
        self
    }

    /// Gives a service hours of its own.
    pub fn with_service_schedule(mut self, service: &str, schedule: Schedule) -> Hall {
        self.service_schedules.insert(service.to_owned(), schedule);
        self
    }

    /// Limits a service's tickets per time slot.
    pub fn with_quota(mut self, service: &str, quota: SlotQuota) -> Hall {
        self.quotas.insert(service.to_owned(), quota);
        self
    }

    /// Lets a service take up to `per_hour` remote tickets in each clock
    /// hour (0: none, the default).
    pub fn with_remote_per_hour(mut self, service: &str, per_hour: u32) -> Hall {
        self.remote_per_hour.insert(service.to_owned(), per_hour);
        self
    }

    /// Remote tickets a service takes in each hour; 0 when it takes none.
    pub fn remote_per_hour(&self, service: &str) -> u32 {
        self.remote_per_hour.get(service).copied().unwrap_or(0)
    }

    /// Sets the appointment rules; the class must be one of the hall's.
    pub fn with_appointments(mut self, rules: AppointmentRules) -> Result<Hall, HallError> {
        if !self.class_ix.contains_key(&rules.class) {
            return Err(HallError::UnknownDefaultClass(rules.class));
        }
        self.appointments = rules;
        Ok(self)
    }

    pub fn with_reentry(mut self, reentry: Reentry) -> Hall {
        self.reentry = reentry;
        self
    }

    /// The hours that apply to a service.
    pub fn schedule_of(&self, service: &str) -> &Schedule {
        self.service_schedules
            .get(service)
            .unwrap_or(&self.schedule)
    }

    /// Whether a service takes a new ticket at `at` (always, when hours are
    /// not enforced).
    pub fn intake(&self, service: &str, at: Millis) -> Intake {
        let intake = self.schedule_of(service).intake(at, &self.tz);
        if self.hours_enforced {
            intake
        } else {
            match intake {
                Intake::Open { .. } => intake,
                _ => Intake::Open {
                    closes_at: 1440,
                    cutoff_at: 1440,
                },
            }
        }
    }

    /// When a service next takes tickets, while it does not at `at`: `None`
    /// while it does (always, when hours are not enforced).
    pub fn next_opening(&self, service: &str, at: Millis) -> Option<Millis> {
        if matches!(self.intake(service, at), Intake::Open { .. }) {
            return None;
        }
        self.schedule_of(service).next_opening(at, &self.tz)
    }

    /// Sets a service's queue-length and service-time alert limits.
    pub fn with_alert_limits(mut self, service: &str, limits: AlertLimits) -> Hall {
        self.alert_limits.insert(service.to_owned(), limits);
        self
    }

    pub fn alert_limits(&self, service: &str) -> AlertLimits {
        self.alert_limits.get(service).copied().unwrap_or_default()
    }

    pub fn quota(&self, service: &str) -> Option<SlotQuota> {
        self.quotas.get(service).copied()
    }

    pub fn service(&self, code: &str) -> Option<&Service> {
        self.service_ix.get(code).map(|&i| &self.services[i])
    }

    pub fn class(&self, id: &str) -> Option<&PriorityClass> {
        self.class_ix.get(id).map(|&i| &self.classes[i])
    }

    pub fn counter(&self, id: &str) -> Option<&CounterDef> {
        self.counter_ix.get(id).map(|&i| &self.counters[i])
    }

    /// Index of a service in `services`, for dense per-service tables.
    pub fn service_index(&self, code: &str) -> Option<usize> {
        self.service_ix.get(code).copied()
    }

    /// Index of a counter in `counters`, for dense per-counter tables.
    pub fn counter_index(&self, id: &str) -> Option<usize> {
        self.counter_ix.get(id).copied()
    }

    /// Index of a class in `classes`, for dense per-class tables.
    pub fn class_index(&self, id: &str) -> Option<usize> {
        self.class_ix.get(id).copied()
    }

    /// Weight of a class; unknown classes (only possible in a corrupt log)
    /// count as the lowest.
    pub fn weight(&self, class: &str) -> u32 {
        self.class(class).map_or(0, |c| c.weight)
    }

    /// Whether a class is served ahead of the default class.
    pub fn is_priority(&self, class: &str) -> bool {
        class != self.default_class && self.weight(class) > self.weight(&self.default_class)
    }

    /// The printed number for the `seq_no`-th ticket of a service in a day.
    pub fn format_number(&self, service: &Service, class: &str, seq_no: u32) -> String {
        let class_prefix = self
            .class(class)
            .and_then(|c| c.prefix.as_deref())
            .unwrap_or("");
        format!(
            "{class_prefix}{}{:0width$}",
            service.prefix,
            seq_no,
            width = self.number_width
        )
    }

    /// Counters that list `service` among theirs.
    pub fn counters_serving<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a CounterDef> + 'a {
        self.counters
            .iter()
            .filter(move |c| c.services.iter().any(|s| s == service))
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn service(code: &str) -> Service {
        Service {
            code: code.into(),
            name: Text::new(format!("业务{code}"), format!("Service {code}")),
            prefix: code.into(),
            materials: vec![],
            target_wait_yellow_s: 600,
            target_wait_red_s: 1200,
            daily_cap: None,
            avg_service_s: 300,
        }
    }

    pub fn class(id: &str, weight: u32, green: bool) -> PriorityClass {
        PriorityClass {
            id: id.into(),
            name: Text::new(id, id),
            weight,
            green,
            mark: None,
            prefix: None,
        }
    }

    pub fn counter(id: &str, number: u32, services: &[&str]) -> CounterDef {
        CounterDef {
            id: id.into(),
            number,
            name: Text::new(format!("{number}号窗口"), format!("Counter {number}")),
            services: services.iter().map(|s| s.to_string()).collect(),
            service_order: ServiceOrder::Tiebreak,
        }
    }

    /// Two services, three classes, three counters with overlapping services.
    pub fn hall(kind: PolicyKind, max_wait_ms: Option<Millis>) -> Hall {
        Hall::new(
            Text::new("测试大厅", "Test hall"),
            TimeZone::get("Asia/Shanghai").unwrap(),
            vec![service("A"), service("B")],
            vec![
                class("normal", 1, false),
                class("elderly", 3, true),
                class("disabled", 3, true),
            ],
            "normal".into(),
            vec![
                counter("1", 1, &["A"]),
                counter("2", 2, &["A", "B"]),
                counter("3", 3, &["B", "A"]),
            ],
            Policy { kind, max_wait_ms },
            2,
            3,
        )
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn numbers_are_prefix_and_padded_digits() {
        let hall = hall(PolicyKind::Strict, None);
        let a = hall.service("A").unwrap();
        let check =
            |class: &str, n: u32, expect: &str| assert_eq!(hall.format_number(a, class, n), expect);
        check("normal", 1, "A001");
        check("normal", 12, "A012");
        check("normal", 999, "A999");
        // Past the width a digit is added: never a wrap, never a repeat.
        check("normal", 1000, "A1000");
    }

    #[test]
    fn invalid_halls_are_refused_with_the_reason() {
        let tz = TimeZone::get("Asia/Shanghai").unwrap();
        let policy = Policy {
            kind: PolicyKind::Strict,
            max_wait_ms: None,
        };
        let make = |services: Vec<Service>, counters: Vec<CounterDef>, default: &str| {
            Hall::new(
                Text::default(),
                tz.clone(),
                services,
                vec![class("normal", 1, false)],
                default.into(),
                counters,
                policy,
                2,
                3,
            )
            .unwrap_err()
        };
        assert_eq!(make(vec![], vec![], "normal"), HallError::NoServices);
        assert_eq!(
            make(vec![service("A"), service("A")], vec![], "normal"),
            HallError::DuplicateService("A".into())
        );
        assert_eq!(
            make(vec![service("A")], vec![counter("1", 1, &["Z"])], "normal"),
            HallError::CounterUnknownService {
                counter: "1".into(),
                service: "Z".into()
            }
        );
        assert_eq!(
            make(
                vec![service("A")],
                vec![counter("1", 1, &["A"]), counter("2", 1, &["A"])],
                "normal"
            ),
            HallError::DuplicateCounterNumber(1)
        );
        assert_eq!(
            make(vec![service("A")], vec![], "vip"),
            HallError::UnknownDefaultClass("vip".into())
        );
    }
}

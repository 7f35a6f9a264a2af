//! What callers ask of the hall and why it may refuse: [`Command`], the
//! counter actions and their one table ([`COUNTER_ACTIONS`]), [`Rejection`]
//! and [`Decision`].
//!
//! Plain values: deciding a command is [`crate::HallState::decide`]'s job,
//! and parsing one from a request is the web and CLI's. The table is here so
//! that every layer that names a counter action reads the same list.

use crate::event::Event;
use crate::rating::RatingInput;
use crate::ticket::{Ticket, TicketId};
use crate::time::Millis;

mod actions;
pub use actions::*;

/// Something a kiosk, counter or supervisor asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Take a ticket for a service, in a class (default class when `None`).
    Issue {
        service: String,
        class: Option<String>,
        source: Option<String>,
    },
    /// An action at a counter, on the counter's current ticket where it needs one.
    Counter {
        counter: String,
        action: CounterAction,
    },
    /// The same, by the clerk `staff` (their own token): the clerk is signed
    /// in at the counter by the same decision, so what they do is counted
    /// as theirs and a refused action records nothing, not even a sign-in.
    CounterBy {
        counter: String,
        staff: String,
        action: CounterAction,
    },
    /// Withdraw a waiting ticket.
    Cancel { ticket: TicketId },
    /// A no-show came back within the hall's window (过号重排); `by` is the
    /// staff member who let it back in.
    Reenter { ticket: TicketId, by: String },
    /// An applicant rates a finished ticket (好差评): 5 very satisfied ...
    /// 1 very dissatisfied, the indicators of the hall's set, a reason for
    /// a 差评. One rating per ticket.
    Rate { of: RatingOf, rating: RatingInput },
    /// Book an appointment; `code` is the check-in code, chosen by the caller.
    Book {
        code: String,
        service: String,
        slot_start: Millis,
        name: Option<String>,
    },
    /// Check in an appointment of today at a kiosk: its ticket.
    CheckIn {
        code: String,
        service: Option<String>,
        source: Option<String>,
    },
    /// A suspended ticket comes back with its missing materials. `earlier`
    /// is the ticket as stored, when it is from an earlier business day
    /// (the engine fills it in; the core does no IO).
    Return {
        ticket: TicketId,
        earlier: Option<Box<Ticket>>,
    },
    /// The applicant leaves a phone number to be told about the ticket.
    Subscribe { ticket: TicketId, phone: String },
    /// The counter marks a served ticket's certificate ready for collection.
    MarkReady { ticket: TicketId, by: String },
    /// Attach a case number (办件编号) to a ticket a counter has called,
    /// served or set aside; `by` is the counter, supervisor or system.
    AttachCase {
        ticket: TicketId,
        case_no: String,
        by: String,
    },
    /// A step in putting the 差评 of `ticket` right (整改), by `by`.
    Rectify {
        ticket: TicketId,
        action: crate::rectify::RectifyAction,
        by: String,
    },
    /// The 好差评 platform accepted upload `id`.
    Uploaded { id: u64 },
    /// The gateway accepted outbox message `id`.
    Delivered { id: u64 },
    /// Record something staff did (or that happened to an account) outside
    /// the queue, for the audit trail: a locked account, a reload.
    Audit {
        action: String,
        by: String,
        detail: String,
        counter: Option<String>,
    },

    // --- remote tickets ---
    /// A phone asks for a remote ticket: record the request (its id chosen
    /// by the caller, unguessable) and text the phone its code.
    StartRemote {
        request: String,
        service: String,
        phone: String,
    },
    /// The code for `request` was given; `code_ok` says whether it was the
    /// right one (the caller holds the hall secret the code derives from).
    /// A wrong one is recorded, so that five lock the request.
    ConfirmRemote { request: String, code_ok: bool },
    /// The applicant of a remote ticket is at the hall.
    Arrive {
        ticket: TicketId,
        proof: ArrivalProof,
        by: String,
    },
    /// A remote ticket moves back `places` in its queue (once).
    Defer { ticket: TicketId, places: u32 },
    // --- appointments booked by the applicant ---
    /// A phone asks to book `slot_start` for `service`: record the request
    /// and text the code. The ID number arrives already hashed.
    StartBooking {
        request: String,
        service: String,
        slot_start: Millis,
        name: String,
        id_hash: String,
        id_last4: String,
        phone: String,
    },
    /// The code for booking request `request` was given (`code_ok` as for
    /// remote tickets); `code` is the appointment's check-in code, chosen
    /// by the caller. The engine fills in what only the store knows for a
    /// later day: bookings already in that slot, and whether the same ID
    /// number has one for that service and day.
    ConfirmBooking {
        request: String,
        code_ok: bool,
        code: String,
        booked_in_slot: u32,
        same_person: bool,
    },
    /// Cancel appointment `code` of the slot starting at `slot_start` (as
    /// the store has it); `checked_in` when it already has a ticket.
    CancelBooking {
        code: String,
        slot_start: Millis,
        slot_end: Millis,
        checked_in: bool,
        /// The caller gave the last 4 digits of the booking's phone.
        digits_ok: bool,
        /// Wrong digits given for this booking so far (from the log).
        wrong: u32,
    },
    /// Nothing asked: time passed. Lets the writer record what became due
    /// (held and lapsed remote tickets).
    Tick,
}

/// How an applicant proved at the hall that a remote ticket is theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrivalProof {
    /// The last four digits of the phone that took it (checked here).
    PhoneLast4(String),
    /// The 6-digit code the phone shows, already checked by the caller
    /// against the hall secret.
    Code,
    /// A guide at the desk saw the phone (their own token).
    Guide,
}

/// Where a transfer sends a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTarget {
    Service(String),
    Counter(String),
}

/// Which ticket a rating is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatingOf {
    /// The ticket `counter` finished last, if nobody rated it yet: the pad
    /// facing the applicant at that counter.
    LastAt(String),
    /// This ticket, which must be finished: its holder's phone.
    Ticket(TicketId),
}

/// Why a command was refused. Each message says what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    // --- not found ---
    #[error("there is no service `{0}`; GET /api/v1/services lists the services of this hall")]
    UnknownService(String),
    #[error("there is no counter `{0}`; GET /api/v1/counters lists the counters of this hall")]
    UnknownCounter(String),
    #[error("there is no ticket {0} today")]
    UnknownTicket(TicketId),
    #[error("no ticket numbered {0} was taken today; check the number on the applicant's slip")]
    UnknownNumber(String),

    // --- bad input ---
    #[error(
        "there is no priority class `{0}`; the hall's classes are listed in GET /api/v1/services"
    )]
    UnknownClass(String),
    #[error("a rating is 1 (very dissatisfied) to 5 (very satisfied), not {0}")]
    BadRating(u8),
    #[error("{0}")]
    BadInput(String),
    #[error(
        "a rating of {score} is a 差评 and needs a reason: pick one ({reasons}) or type your own in `reason`"
    )]
    ReasonRequired { score: u8, reasons: String },
    #[error("there is no indicator `{code}` in this hall's set; rate these: {known}")]
    UnknownIndicator { code: String, known: String },

    // --- conflicts with the current state ---
    /// A config reload that today's queue or the running daemon cannot
    /// take; the running config stays.
    #[error("the new config was not applied, the running one stays: {0}")]
    ConfigRefused(String),
    #[error(
        "service `{service}` has reached its daily cap of {cap} tickets; please come back on the next working day"
    )]
    ServiceFull { service: String, cap: u32 },
    #[error("counter `{counter}` has no current ticket; call one first")]
    NoCurrentTicket { counter: String },
    #[error("ticket {number} is {state}, so it cannot be {action}")]
    WrongState {
        number: String,
        state: &'static str,
        action: &'static str,
    },
    #[error(
        "counter `{counter}` still has ticket {number}; finish, transfer or mark it no-show first"
    )]
    CounterBusy { counter: String, number: String },
    #[error("counter `{0}` is closed; open it first")]
    CounterClosed(String),
    #[error(
        "ticket {number} is already at service `{service}`; choose another service or a counter"
    )]
    TransferToSame { number: String, service: String },
    #[error("service `{service}` is not taking tickets now: {why}")]
    ServiceClosed { service: String, why: String },
    #[error(
        "service `{service}` has given out all {cap} tickets of this time slot; the next slot starts at {next}"
    )]
    SlotFull {
        service: String,
        cap: u32,
        next: String,
    },
    #[error(
        "counter `{counter}` is the last open counter for service `{service}`, where {waiting} still wait; \
         everyone who took a ticket is served before closing (a supervisor may override)"
    )]
    LastCounter {
        counter: String,
        service: String,
        waiting: usize,
    },
    #[error("ticket {number} is not waiting for counter `{counter}`: {why}")]
    NotForCounter {
        number: String,
        counter: String,
        why: String,
    },
    #[error("ticket {number} cannot re-enter the queue: {why}")]
    ReentryRefused { number: String, why: String },
    #[error("counter `{0}` has no finished ticket left to rate")]
    NothingToRate(String),
    #[error("ticket {number} has no 差评 to put right")]
    NoRectification { number: String },
    #[error("the 差评 of {number}: {why}")]
    RectifyStep { number: String, why: String },
    #[error("ticket {number} is already rated; each ticket is rated once")]
    AlreadyRated { number: String },
    #[error(
        "there is no appointment `{0}` for today; check the code, or take a ticket without one"
    )]
    UnknownAppointment(String),
    #[error("appointment {code}: {why}")]
    AppointmentWindow { code: String, why: String },
    #[error("the appointment code `{0}` is already taken for that day; try again")]
    CodeTaken(String),

    // --- remote tickets ---
    #[error("there is no request `{0}`; ask for a new code with POST /api/v1/remote/start")]
    UnknownRequest(String),
    #[error("the code has expired (codes are good for 5 minutes); ask for a new one")]
    CodeExpired,
    #[error("5 wrong codes were given for this request, so it is locked; ask for a new code")]
    CodeLocked,
    #[error("the code is wrong; {left} tries left. Check the text message and type its 6 digits")]
    WrongCode { left: u32 },
    #[error("this request has already given ticket {number}")]
    RequestUsed { number: String },
    #[error("service `{service}` does not take tickets from home: {why}")]
    RemoteRefused { service: String, why: String },
    #[error(
        "this phone already holds remote ticket {number} for service `{service}` today; one remote ticket per phone, service and day"
    )]
    OnePerPhone { number: String, service: String },
    #[error("this phone asked for {limit} codes in the last hour; please wait before asking again")]
    PhoneRateLimited { limit: u32 },
    #[error("ticket {number} was not taken from home, so there is nothing to check in")]
    NotRemote { number: String },
    #[error(
        "the last four digits do not match the phone that took ticket {number}; check them, or show the code on the phone"
    )]
    ArrivalMismatch { number: String },
    #[error(
        "5 wrong phone digits were given for ticket {number}, so they no longer check it in; check in with the 6-digit code on your phone, or at the guide's desk"
    )]
    ArrivalLocked { number: String },
    #[error("ticket {number} cannot be moved back: {why}")]
    DeferRefused { number: String, why: String },
    #[error("cannot book: {0}")]
    BookingRefused(String),
    #[error(
        "there is no appointment with code `{0}` still to come; check the code in the text message"
    )]
    UnknownBooking(String),
}

/// What a command decided: the events to record and the ticket it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub events: Vec<Event>,
    /// The ticket the caller asked about (issued, called, finished...), if any.
    pub subject: Option<TicketId>,
}

/// The most items a one-time notice lists.
pub const NOTICE_MAX_ITEMS: usize = 30;
/// The longest item of a notice and its note, in characters: a slip is
/// paper, and an applicant reads it at a glance.
pub const NOTICE_ITEM_MAX_CHARS: usize = 200;
pub const NOTICE_NOTE_MAX_CHARS: usize = 500;

/// The materials still missing as a notice (and a suspension) lists them:
/// trimmed, blanks dropped, 1 to [`NOTICE_MAX_ITEMS`] items of at most
/// [`NOTICE_ITEM_MAX_CHARS`]; the note at most [`NOTICE_NOTE_MAX_CHARS`].
/// One rule for the counter's suspend and its notice slip.
pub fn notice_items(missing: &[String], note: Option<&str>) -> Result<Vec<String>, Rejection> {
    let items: Vec<String> = missing
        .iter()
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect();
    if items.is_empty() || items.len() > NOTICE_MAX_ITEMS {
        return Err(Rejection::BadInput(format!(
            "list 1 to {NOTICE_MAX_ITEMS} missing materials, so the applicant knows what to bring"
        )));
    }
    let too_long = items
        .iter()
        .any(|m| m.chars().count() > NOTICE_ITEM_MAX_CHARS)
        || note.is_some_and(|n| n.chars().count() > NOTICE_NOTE_MAX_CHARS);
    if too_long {
        return Err(Rejection::BadInput(format!(
            "each missing item is at most {NOTICE_ITEM_MAX_CHARS} characters, the note at most {NOTICE_NOTE_MAX_CHARS}"
        )));
    }
    Ok(items)
}

#[cfg(test)]
mod notice_tests {
    use super::*;

    #[test]
    fn notice_items_are_trimmed_counted_and_capped() {
        let check = |missing: &[&str], note: Option<&str>, expect: Result<&[&str], &str>| {
            let missing: Vec<String> = missing.iter().map(|m| (*m).to_owned()).collect();
            match (notice_items(&missing, note), expect) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{e}"),
                (got, want) => panic!("{missing:?}: got {got:?}, want {want:?}"),
            }
        };
        let long = "材".repeat(201);
        let many: Vec<&str> = vec!["照片"; 31];
        check(&[" 户口簿 ", "", "照片"], None, Ok(&["户口簿", "照片"]));
        check(&["", "  "], None, Err("1 to 30"));
        check(&many, None, Err("1 to 30"));
        check(&[&long], None, Err("at most 200"));
        check(&["照片"], Some(&"注".repeat(501)), Err("at most 500"));
        check(&["照片"], Some(&"注".repeat(500)), Ok(&["照片"]));
    }
}

//! The text messages (短信) owed to applicants who left a phone number,
//! and how a phone number may be shown.
//!
//! Decides the wording and when a message is due; the engine records it in
//! the outbox and the binary's sender delivers it.
//!
//! # What must stay true
//! - A secret (a remote request's code, a ticket's key in a link) is never
//!   in an event, the outbox or a log: the message holds a [`Placeholder`]
//!   and the sender, which holds the hall secret, fills it in
//!   ([`fill_placeholders`]) just before the message leaves.

use super::HallState;
use crate::event::Event;
use crate::ticket::{TicketId, TicketState};

/// The outbox `kind` of the message with the link to rate a fix.
pub const FIX_KIND: &str = "fix";

/// The outbox `kind` of the message with a ticket's rating link
/// (`[rating] sms_link`).
pub const RATE_KIND: &str = "rate";

/// What a link in a text message is for: the query it adds to the
/// ticket's page `/t/{id}?k=KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkFor {
    /// Rating the fix of a 差评 (`&fix=1`).
    Fix,
    /// Rating the visit, the rating recorded as channel `sms` (`&via=sms`).
    Rating,
}

impl LinkFor {
    /// Its name in a placeholder.
    fn as_str(self) -> &'static str {
        match self {
            LinkFor::Fix => "fix",
            LinkFor::Rating => "rate",
        }
    }

    /// The query the link adds after the key.
    pub fn query(self) -> &'static str {
        match self {
            LinkFor::Fix => "fix=1",
            LinkFor::Rating => "via=sms",
        }
    }
}

/// A secret an outbox message leaves to the sender, spelled
/// `{code:REQUEST}` or `{link:TICKET:fix}` / `{link:TICKET:rate}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// The 6-digit code of remote request `0`.
    Code(String),
    /// Ticket `0`'s page with its key, for `1`.
    Link(TicketId, LinkFor),
}

impl Placeholder {
    /// How it is written into a message.
    pub fn text(&self) -> String {
        match self {
            Placeholder::Code(request) => format!("{{code:{request}}}"),
            Placeholder::Link(id, what) => format!("{{link:{}:{}}}", id.0, what.as_str()),
        }
    }

    /// The placeholder `inner` (between the braces) spells, if any.
    fn parse(inner: &str) -> Option<Placeholder> {
        let (name, arg) = inner.split_once(':')?;
        match name {
            "code" => Some(Placeholder::Code(arg.to_owned())),
            "link" => {
                let (id, what) = arg.split_once(':')?;
                let what = [LinkFor::Fix, LinkFor::Rating]
                    .into_iter()
                    .find(|w| w.as_str() == what)?;
                Some(Placeholder::Link(TicketId(id.parse().ok()?), what))
            }
            _ => None,
        }
    }
}

/// `message` with each placeholder replaced by `fill(placeholder)`; text
/// in braces that is no placeholder stays as it is.
pub fn fill_placeholders(message: &str, fill: impl Fn(&Placeholder) -> String) -> String {
    let mut out = String::with_capacity(message.len() + 32);
    let mut rest = message;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after
            .find('}')
            .and_then(|end| Some((Placeholder::parse(&after[..end])?, end)))
        {
            Some((p, end)) => {
                out.push_str(&fill(&p));
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `138****5678`: a phone number as logs and screens may show it.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() <= 7 {
        return "*".repeat(digits.len());
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(digits.len() - 7))
}

impl HallState {
    /// The messages now owed to applicants who left a phone number: their
    /// ticket is near the front, called, suspended, or ready. Each kind is
    /// queued once per ticket; the engine records them in the same batch as
    /// what made them due.
    pub fn notifications_due(&self) -> Vec<Event> {
        let hall = &self.hall.name.zh;
        let mut ids: Vec<&TicketId> = self.subscriptions.keys().collect();
        ids.sort();
        let mut due = Vec::new();
        for id in ids {
            let (Some(sub), Some(t)) = (self.subscriptions.get(id), self.tickets.get(id)) else {
                continue;
            };
            let counter = t
                .counter
                .as_deref()
                .and_then(|c| self.hall.counter(c))
                .map_or(String::new(), |c| c.name.zh.clone());
            let at_clock = |at: crate::Millis| {
                crate::hours::clock(crate::hours::local_minute(at, &self.hall.tz))
            };
            let wanted: Option<(&str, String)> = match t.state {
                // Reached the front before arriving: hurry, or it lapses.
                TicketState::Remote if t.lapse_at.is_some() => Some((
                    "hurry",
                    format!(
                        "【{hall}】已轮到您的 {} 号，请尽快到大厅取号机签到；{} 前未签到将作废。",
                        t.number,
                        at_clock(t.lapse_at.unwrap_or_default())
                    ),
                )),
                TicketState::Remote if !sub.sent.contains("near") => {
                    let ahead = self.ahead(t.id);
                    (ahead <= self.hall.notify_ahead).then(|| {
                        (
                            "near",
                            format!(
                                "【{hall}】您的 {} 号前面还有 {ahead} 人，请现在出发，到大厅后在取号机签到。",
                                t.number
                            ),
                        )
                    })
                }
                TicketState::Lapsed => Some((
                    "lapsed",
                    format!(
                        "【{hall}】您的 {} 号未按时到大厅签到，已作废；如需办理请重新取号。",
                        t.number
                    ),
                )),
                TicketState::Called => Some((
                    "called",
                    format!("【{hall}】请 {} 号到 {counter} 办理。", t.number),
                )),
                // Runs after every batch: skip the count once "near" went out.
                TicketState::Waiting if !sub.sent.contains("near") => {
                    let ahead = self.ahead(t.id);
                    (ahead <= self.hall.notify_ahead).then(|| {
                        let wait = self.estimate(t.id).words(&self.hall.tz).zh;
                        (
                            "near",
                            format!(
                                "【{hall}】您的 {} 号前面还有 {ahead} 人，预计等候 {wait}，请回到大厅等候叫号。",
                                t.number
                            ),
                        )
                    })
                }
                TicketState::Suspended => Some((
                    "suspended",
                    format!(
                        "【{hall}】{} 号材料尚未齐全，请按一次性告知单补齐后凭原号返回，无需重新排队。",
                        t.number
                    ),
                )),
                // Rated at the window already: no link (each kind once).
                TicketState::Done
                    if self.hall.rating.sms_link
                        && t.rating.is_none()
                        && !sub.sent.contains(RATE_KIND) =>
                {
                    Some((
                        RATE_KIND,
                        format!(
                            "【{hall}】{} 号已办结，请对本次服务作出评价：{}",
                            t.number,
                            Placeholder::Link(t.id, LinkFor::Rating).text()
                        ),
                    ))
                }
                TicketState::Done if sub.ready => Some((
                    "ready",
                    format!(
                        "【{hall}】{} 号办理的证件已制作完成，请到 {counter} 领取。",
                        t.number
                    ),
                )),
                _ => None,
            };
            if let Some((kind, message)) = wanted
                && !sub.sent.contains(kind)
            {
                due.push(Event::NotificationQueued {
                    ticket: t.id,
                    kind: kind.into(),
                    phone: sub.phone.clone(),
                    message,
                });
            }
        }
        due
    }
}

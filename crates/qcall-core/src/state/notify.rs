//! The text messages (短信) owed to applicants who left a phone number,
//! and how a phone number may be shown.
//!
//! Decides the wording and when a message is due; the engine records it in
//! the outbox and the binary's sender delivers it.

use super::HallState;
use crate::event::Event;
use crate::ticket::{TicketId, TicketState};

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

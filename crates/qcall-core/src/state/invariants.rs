//! Self-checks of the state: the invariants `db check` and the property
//! tests verify, and the fingerprint replay tests compare.

use std::collections::{BTreeSet, HashMap};

use super::{CounterRuntime, HallState};
use crate::ticket::{QueueKey, Ticket, TicketId, TicketState};

/// What two states must share to be the same day, as replay tests compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Every ticket, by id.
    pub tickets: Vec<Ticket>,
    pub counters: Vec<CounterRuntime>,
    /// Per service: the last number issued.
    pub issued: Vec<u32>,
    /// Each (service, class) queue's tickets, in calling order.
    pub queues: Vec<Vec<TicketId>>,
    /// Each counter's direct queue, in calling order.
    pub direct: Vec<Vec<TicketId>>,
    pub last_seq: u64,
}

impl HallState {
    /// Checks the internal invariants; for tests and `db check`.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut queued = 0;
        for (si, per_class) in self.queues.iter().enumerate() {
            for (ci, q) in per_class.iter().enumerate() {
                for &QueueKey { queued_at, id, .. } in q {
                    let t = self
                        .tickets
                        .get(&id)
                        .ok_or(format!("queued ticket {id} unknown"))?;
                    let ok = matches!(t.state, TicketState::Waiting | TicketState::Remote)
                        && t.queued_at == queued_at
                        && t.target_counter.is_none()
                        && self.hall.service_index(&t.service) == Some(si)
                        && self.hall.class_index(&t.class) == Some(ci);
                    if !ok {
                        return Err(format!(
                            "ticket {} is queued in the wrong place: {t:?}",
                            t.number
                        ));
                    }
                    queued += 1;
                }
            }
        }
        for (ci, q) in self.direct.iter().enumerate() {
            for QueueKey { id, .. } in q {
                let t = self
                    .tickets
                    .get(id)
                    .ok_or(format!("queued ticket {id} unknown"))?;
                if t.state != TicketState::Waiting
                    || t.target_counter.as_deref() != Some(&self.hall.counters[ci].id)
                {
                    return Err(format!("ticket {} is in the wrong direct queue", t.number));
                }
                queued += 1;
            }
        }
        let waiting = self
            .tickets
            .values()
            .filter(|t| matches!(t.state, TicketState::Waiting | TicketState::Remote))
            .count();
        if waiting != queued {
            return Err(format!("{waiting} tickets wait but {queued} are queued"));
        }
        let mut holders = HashMap::new();
        for (ci, rt) in self.counters.iter().enumerate() {
            let id = &self.hall.counters[ci].id;
            if let Some(cur) = rt.current {
                if let Some(other) = holders.insert(cur, id) {
                    return Err(format!(
                        "ticket {cur} is current at counters {other} and {id}"
                    ));
                }
                let t = self
                    .tickets
                    .get(&cur)
                    .ok_or(format!("counter {id} holds unknown ticket {cur}"))?;
                if !matches!(t.state, TicketState::Called | TicketState::Serving)
                    || t.counter.as_deref() != Some(id)
                {
                    return Err(format!(
                        "counter {id} holds {} in state {}",
                        t.number,
                        t.state.as_str()
                    ));
                }
            }
        }
        for t in self.tickets.values() {
            if matches!(t.state, TicketState::Called | TicketState::Serving)
                && !holders.contains_key(&t.id)
            {
                return Err(format!(
                    "ticket {} is {} but no counter holds it",
                    t.number,
                    t.state.as_str()
                ));
            }
        }
        Ok(())
    }

    /// Comparable summary of the state, for replay tests: tickets,
    /// counters, numbering and the order of every queue.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut tickets: Vec<Ticket> = self.tickets.values().cloned().collect();
        tickets.sort_by_key(|t| t.id);
        let order = |q: &BTreeSet<QueueKey>| q.iter().map(|k| k.id).collect::<Vec<_>>();
        Fingerprint {
            tickets,
            counters: self.counters.clone(),
            issued: self.issued.clone(),
            queues: self.queues.iter().flatten().map(order).collect(),
            direct: self.direct.iter().map(order).collect(),
            last_seq: self.last_seq,
        }
    }
}

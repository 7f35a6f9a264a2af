//! The hall's live alerts for supervisors and screens.
//!
//! SLA alerts come from [`qcall_core::alerts::active`], evaluated
//! periodically (and whenever a test moves the clock); only changes are
//! pushed, as `alert` frames with `active: true` when an alert starts or
//! worsens and `active: false` when it clears. One-off alerts (a poor
//! rating, a call for a guide) are pushed once and kept in a short list.
//!
//! Who sees what: SLA lights and guide calls go to every stream (the wall
//! display's ticker shows the lights); a poor rating carries the
//! applicant's comment, so it goes to staff streams only. The list
//! (`GET /alerts`) is for staff credentials.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use qcall_core::alerts::{Alert, AlertKind};
use qcall_engine::{EngineError, EngineHandle};
use serde_json::{Value, json};

use crate::hub::{Audience, Hub};

/// One-off alerts kept for `GET /alerts`.
const RECENT: usize = 50;

#[derive(Debug, Default)]
pub struct AlertBoard {
    // Replaced after each evaluation, read by GET /alerts: a short lock,
    // never held across an await (the engine read happens before it).
    active: Mutex<BTreeMap<String, Value>>,
    recent: Mutex<VecDeque<Value>>,
}

pub(crate) fn alert_json(a: &Alert) -> Value {
    let (zh, en) = a.message();
    let mut v = json!({
        "id": a.key,
        "level": a.level.as_str(),
        "active": true,
        "message": { "zh": zh, "en": en },
    });
    match &a.kind {
        AlertKind::Wait { service, waited_s } => {
            v["kind"] = json!("wait");
            v["service"] = json!(service);
            v["waited_s"] = json!(waited_s);
        }
        AlertKind::QueueLength { service, waiting } => {
            v["kind"] = json!("queue_length");
            v["service"] = json!(service);
            v["waiting"] = json!(waiting);
        }
        AlertKind::PoorRating {
            counter,
            number,
            score,
            comment,
        } => {
            v["kind"] = json!("rating");
            v["counter"] = json!(counter);
            v["number"] = json!(number);
            v["score"] = json!(score);
            v["comment"] = json!(comment);
        }
        AlertKind::RectificationOverdue {
            number,
            deadline,
            assignee,
        } => {
            v["kind"] = json!("rectify");
            v["number"] = json!(number);
            v["deadline"] = json!(deadline);
            v["assignee"] = json!(assignee);
        }
        AlertKind::ServiceTime {
            service,
            counter,
            number,
            minutes,
        } => {
            v["kind"] = json!("service_time");
            v["service"] = json!(service);
            v["counter"] = json!(counter);
            v["number"] = json!(number);
            v["minutes"] = json!(minutes);
        }
    }
    v
}

impl AlertBoard {
    /// Re-evaluates the SLA alerts and pushes what changed.
    pub async fn evaluate(&self, engine: &EngineHandle, hub: &Hub) -> Result<(), EngineError> {
        let now = engine.now();
        let alerts = engine
            .read(move |state, _| qcall_core::alerts::active(state, now))
            .await?;
        let fresh: BTreeMap<String, (String, Value)> = alerts
            .iter()
            .map(|a| (a.key.clone(), (a.level.as_str().to_owned(), alert_json(a))))
            .collect();
        // An overdue 差评 names the rated ticket: staff streams only, never
        // the wall (the rater stays confidential).
        let push = |value: Value| {
            if value["kind"] == "rectify" {
                hub.notice_to(Audience::Staff, "alert", value);
            } else {
                hub.notice("alert", value);
            }
        };
        let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        for (key, (level, value)) in &fresh {
            let changed = active
                .get(key)
                .is_none_or(|old| old["level"] != level.as_str());
            if changed {
                push(value.clone());
            }
        }
        for (key, old) in active.iter() {
            if !fresh.contains_key(key) {
                let mut cleared = old.clone();
                cleared["active"] = json!(false);
                push(cleared);
            }
        }
        *active = fresh.into_iter().map(|(k, (_, v))| (k, v)).collect();
        Ok(())
    }

    /// Pushes a one-off alert (a poor rating, a call for a guide) to
    /// `audience`'s streams.
    pub fn raise(&self, hub: &Hub, audience: Audience, alert: Value) {
        hub.notice_to(audience, "alert", alert.clone());
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.push_front(alert);
        recent.truncate(RECENT);
    }

    /// Active SLA alerts, then recent one-off alerts, newest first.
    pub fn list(&self) -> Value {
        let active: Vec<Value> = self
            .active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let recent: Vec<Value> = self
            .recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect();
        json!({ "active": active, "recent": recent })
    }
}

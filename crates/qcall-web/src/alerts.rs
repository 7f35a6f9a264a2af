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
//!
//! One-off alerts are stored (`alerts` table) before they are pushed, with
//! a numeric id that survives a restart; `POST /alerts/{id}/ack` records
//! who acknowledged one, when, with what note, and pushes the alert again
//! with its `ack`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

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
    // The same kind of lock: one push or copy at a time, never across an await.
    recent: Mutex<VecDeque<Value>>,
    /// The last one-off alert id given out (seeded from the store).
    last_id: AtomicI64,
    /// Stores one-off alerts and pushes them once stored; `None` in unit
    /// tests of the router, which then push at once and keep nothing.
    store: Option<(EngineHandle, Arc<Hub>)>,
}

fn audience_str(a: Audience) -> &'static str {
    match a {
        Audience::Everyone => "everyone",
        Audience::Staff => "staff",
    }
}

/// An alert's body with its acknowledgement, as screens receive it.
fn with_ack(
    body: &str,
    id: i64,
    ack: Option<&(i64, String, String)>,
    tz: &jiff::tz::TimeZone,
) -> Value {
    let mut v: Value = serde_json::from_str(body).unwrap_or_else(|_| json!({}));
    v["id"] = json!(id);
    v["ack"] = match ack {
        Some((at, by, note)) => json!({
            "at": qcall_core::time::local_rfc3339(*at, tz),
            "by": by,
            "note": note,
        }),
        None => Value::Null,
    };
    v
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
        AlertKind::Away {
            counter,
            staff,
            state,
            minutes,
        } => {
            v["kind"] = json!("away");
            v["counter"] = json!(counter);
            v["staff"] = json!(staff);
            v["state"] = json!(state.as_str());
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
        // An alert that names a rated ticket (an overdue 差评: the rater stays
        // confidential) or a clerk (脱岗/早退) is for staff streams only,
        // never the wall.
        let audience = |v: &Value| {
            if v["kind"] == "rectify" || v["kind"] == "away" {
                Audience::Staff
            } else {
                Audience::Everyone
            }
        };
        let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        for (key, (level, value)) in &fresh {
            let changed = active
                .get(key)
                .is_none_or(|old| old["level"] != level.as_str());
            if changed {
                hub.notice_to(audience(value), "alert", value.clone());
            }
        }
        for (key, old) in active.iter() {
            if !fresh.contains_key(key) {
                let mut cleared = old.clone();
                cleared["active"] = json!(false);
                hub.notice_to(audience(&cleared), "alert", cleared);
            }
        }
        *active = fresh.into_iter().map(|(k, (_, v))| (k, v)).collect();
        Ok(())
    }

    /// A board that stores one-off alerts through `engine` and pushes them
    /// to `hub` once stored; the recent ones come back from the store.
    pub async fn open(engine: EngineHandle, hub: Arc<Hub>) -> Result<AlertBoard, EngineError> {
        let tz = engine.hall().tz.clone();
        let (last, recent) = engine
            .read(|_, store| {
                Ok::<_, qcall_store::StoreError>((
                    store.last_alert_id()?,
                    store.recent_alerts(RECENT)?,
                ))
            })
            .await?
            .map_err(|e| engine.read_failed(e))?;
        let recent = recent
            .iter()
            .map(|a| with_ack(&a.body, a.id, a.ack.as_ref(), &tz))
            .collect();
        Ok(AlertBoard {
            active: Mutex::default(),
            recent: Mutex::new(recent),
            last_id: AtomicI64::new(last),
            store: Some((engine, hub)),
        })
    }

    /// Raises a one-off alert (a poor rating, a call for a guide) for
    /// `audience`'s streams: it gets the next id (returned), is stored, and
    /// then pushed (in a task: callers need not wait for the disk).
    pub fn raise(&self, hub: &Hub, audience: Audience, mut alert: Value) -> i64 {
        let id = self.last_id.fetch_add(1, Ordering::Relaxed) + 1;
        alert["id"] = json!(id);
        alert["ack"] = Value::Null;
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            recent.push_front(alert.clone());
            recent.truncate(RECENT);
        }
        let Some((engine, hub)) = self.store.clone() else {
            hub.notice_to(audience, "alert", alert);
            return id;
        };
        let now = engine.now();
        let body = alert.to_string();
        tokio::spawn(async move {
            let stored = engine
                .write(move |_, store| store.add_alert(id, now, audience_str(audience), &body))
                .await;
            if !matches!(stored, Ok(Ok(()))) {
                tracing::warn!(
                    id,
                    "cannot store an alert; it is shown but will not survive a restart"
                );
            }
            hub.notice_to(audience, "alert", alert);
        });
        id
    }

    /// Acknowledges one-off alert `id` by `by` with `note`: stored, then
    /// pushed again with its `ack`. `Ok(None)` when there is no such alert.
    pub async fn ack(&self, id: i64, by: &str, note: &str) -> Result<Option<Value>, EngineError> {
        let Some((engine, hub)) = self.store.clone() else {
            return Ok(None);
        };
        let (now, by, note) = (engine.now(), by.to_owned(), note.to_owned());
        let stored = engine
            .write(move |_, store| store.ack_alert(id, now, &by, &note))
            .await?
            .map_err(|e| engine.read_failed(e))?;
        let Some(a) = stored else {
            return Ok(None);
        };
        let value = with_ack(&a.body, a.id, a.ack.as_ref(), &engine.hall().tz);
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            for r in recent.iter_mut() {
                if r["id"] == json!(id) {
                    *r = value.clone();
                }
            }
        }
        let audience = if a.audience == "staff" {
            Audience::Staff
        } else {
            Audience::Everyone
        };
        hub.notice_to(audience, "alert", value.clone());
        Ok(Some(value))
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

//! Uploads every rating to the provincial 好差评 platform
//! (`[rating] upload_url`).
//!
//! The records are written to the `uploads` outbox by the store, in the
//! transaction of the rating itself, so none is lost; this task is the SMS
//! outbox's mechanism ([`crate::notify::deliver`]) with a different body:
//! at least once, each POST carrying the record's id (the seq of its event)
//! as its idempotency key, retried with backoff while the platform is down,
//! and recorded as delivered by an event once it answers 2xx. A platform
//! that drops keys it has seen takes each record exactly once, whatever
//! restarts happen in between. What it says is below ([`payload`]); the
//! applicant's name and phone are never in it.

use std::time::Duration;

use qcall_core::rating::{is_poor, level_name};
use qcall_core::time::local_rfc3339;
use qcall_core::{Command, Hall};
use qcall_engine::EngineHandle;
use qcall_store::UploadRecord;
use serde_json::json;
use tokio::sync::watch;

use crate::notify::{Gateway, Outbox, deliver};

/// What the platform receives for one record: a rating, or a step in
/// putting a 差评 right.
pub fn payload(u: &UploadRecord, hall: &Hall, department: &str) -> serde_json::Value {
    match &u.rectification {
        Some(r) => rectification_payload(u, r, hall, department),
        None => rating_payload(u, hall, department),
    }
}

/// A 差评 put right (`rectification_fixed`) or its fix rated
/// (`rectification_rated`): the item as it stands.
fn rectification_payload(
    u: &UploadRecord,
    r: &qcall_core::rectify::Rectification,
    hall: &Hall,
    department: &str,
) -> serde_json::Value {
    let tz = &hall.tz;
    let step = |s: &Option<qcall_core::rectify::Step>| {
        s.as_ref()
            .map(|s| json!({ "at": local_rfc3339(s.at, tz), "by": s.by, "text": s.text }))
    };
    json!({
        "id": u.id,
        "idempotency_key": u.id.to_string(),
        "kind": "rectification",
        "step": if u.event == "rectification_rated" { "fix_rated" } else { "fixed" },
        "case_no": u.case_no,
        "service": { "code": u.service },
        "department": department,
        "ticket": { "id": u.ticket.0, "number": u.number },
        "staff": r.staff,
        "counter": r.counter,
        "level": { "score": r.score, "poor": is_poor(r.score) },
        "reason": r.reason,
        "deadline": r.deadline.to_string(),
        "assignee": r.assignee,
        "callback": step(&r.callback),
        "fix": step(&r.fix),
        "fixed_on_time": r.fixed_on_time(tz),
        "fix_score": r.fix_score,
        "at": local_rfc3339(u.at, tz),
    })
}

/// One rating.
fn rating_payload(u: &UploadRecord, hall: &Hall, department: &str) -> serde_json::Value {
    let service = hall.service(&u.service);
    let rules = &hall.rating;
    // Names from the set in force; a record of an older set keeps its codes.
    let name_of = |code: &str| {
        (u.indicator_version == rules.indicator_version)
            .then(|| rules.indicator(code))
            .flatten()
            .map(|i| json!({ "zh": i.name.zh, "en": i.name.en }))
    };
    let level = level_name(u.score);
    json!({
        "id": u.id,
        "idempotency_key": u.id.to_string(),
        "kind": u.kind,
        "case_no": u.case_no,
        "service": {
            "code": u.service,
            "name": service.map(|s| json!({ "zh": s.name.zh, "en": s.name.en })),
        },
        "department": department,
        // A queue ticket is taken by a person at the hall: 自然人.
        "applicant_type": "natural_person",
        "rated_at": local_rfc3339(u.at, &hall.tz),
        "channel": u.channel.platform_code(),
        "staff": u.staff,
        "counter": u.counter,
        "ticket": { "id": u.ticket.0, "number": u.number },
        "level": {
            "score": u.score,
            "name": level.map(|l| json!({ "zh": l.zh, "en": l.en })),
            "poor": is_poor(u.score),
        },
        "indicator_version": u.indicator_version,
        "indicators": u.indicators.iter().map(|(code, score)| json!({
            "code": code,
            "name": name_of(code),
            "score": score,
        })).collect::<Vec<_>>(),
        "reason": u.reason,
    })
}

/// Uploads until `stop` turns true.
pub async fn run(
    engine: EngineHandle,
    gateway: Gateway,
    retry: Duration,
    department: String,
    stop: watch::Receiver<bool>,
) {
    // The hall in force at each upload (a reload may rename services).
    let hall = engine.live_hall();
    let outbox = Outbox {
        what: "rating upload",
        pending: |store| store.pending_uploads(20),
        id: |u: &UploadRecord| u.id,
        payload: Box::new(move |u| payload(u, &hall.get(), &department)),
        describe: |u| format!("{} {} of {}", u.kind, u.score, u.number),
        delivered: |id| Command::Uploaded { id },
    };
    deliver(engine, gateway, retry, stop, outbox).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use qcall_core::TicketId;
    use qcall_core::rating::Channel;

    /// The fields the platform needs, spelt as documented in the example
    /// config; the e2e test reads them at a real listener.
    #[test]
    fn a_rating_carries_the_fields_the_platform_needs() {
        let hall = crate::config::Config::parse(crate::config::EXAMPLE)
            .unwrap()
            .hall()
            .unwrap();
        let u = UploadRecord {
            id: 42,
            kind: "rating".into(),
            ticket: TicketId(7),
            number: "A007".into(),
            service: "A".into(),
            class: "normal".into(),
            counter: Some("1".into()),
            staff: Some("wang.fang".into()),
            case_no: Some("BJ-1".into()),
            at: 0,
            score: 2,
            indicators: vec![("attitude".into(), 1)],
            indicator_version: 1,
            reason: Some("服务态度差".into()),
            channel: Channel::Pad,
            queued_at: 0,
            delivered_at: None,
            event: "ticket_rated".into(),
            rectification: None,
        };
        let body = payload(&u, &hall, "市政务服务中心");
        assert_eq!(body["idempotency_key"], "42");
        assert_eq!(body["channel"], "PJQ");
        assert_eq!(body["case_no"], "BJ-1");
        assert_eq!(body["service"]["code"], "A");
        assert_eq!(body["department"], "市政务服务中心");
        assert_eq!(body["staff"], "wang.fang");
        assert_eq!(body["level"]["name"]["zh"], "不满意");
        assert_eq!(body["level"]["poor"], true);
        assert_eq!(body["indicators"][0]["name"]["zh"], "服务态度");
        assert_eq!(body["reason"], "服务态度差");
        // A record of another set's version keeps its codes, not new names.
        let old = UploadRecord {
            indicator_version: 0,
            ..u
        };
        assert!(payload(&old, &hall, "d")["indicators"][0]["name"].is_null());
    }

    /// A fix goes up with its item: deadline, callback, fix, on time.
    #[test]
    fn a_fix_carries_its_item() {
        use qcall_core::rectify::{Rectification, Step};
        let hall = crate::config::Config::parse(crate::config::EXAMPLE)
            .unwrap()
            .hall()
            .unwrap();
        let at = 1_795_363_200_000; // 2026-11-23 00:00 Shanghai
        let step = |text: &str| {
            Some(Step {
                at,
                by: "zhao".into(),
                text: text.into(),
            })
        };
        let item = Rectification {
            ticket: TicketId(7),
            number: "A007".into(),
            service: "A".into(),
            counter: Some("1".into()),
            staff: Some("wang.fang".into()),
            score: 1,
            reason: Some("服务态度差".into()),
            opened_at: at,
            deadline: "2026-11-30".parse().unwrap(),
            assignee: Some("zhao".into()),
            callback: step("已致歉"),
            fix: step("已培训"),
            fix_score: None,
            phone: None,
        };
        let u = UploadRecord {
            id: 50,
            kind: "rectification".into(),
            ticket: TicketId(7),
            number: "A007".into(),
            service: "A".into(),
            class: "normal".into(),
            counter: Some("1".into()),
            staff: Some("wang.fang".into()),
            case_no: None,
            at,
            score: 1,
            indicators: vec![],
            indicator_version: 0,
            reason: Some("服务态度差".into()),
            channel: Channel::Pad,
            queued_at: at,
            delivered_at: None,
            event: "rectification_fixed".into(),
            rectification: Some(item),
        };
        let body = payload(&u, &hall, "d");
        assert_eq!(body["kind"], "rectification");
        assert_eq!(body["step"], "fixed");
        assert_eq!(body["idempotency_key"], "50");
        assert_eq!(body["deadline"], "2026-11-30");
        assert_eq!(body["callback"]["text"], "已致歉");
        assert_eq!(body["fix"]["by"], "zhao");
        assert_eq!(body["fixed_on_time"], true);
        assert_eq!(body["staff"], "wang.fang");
    }
}

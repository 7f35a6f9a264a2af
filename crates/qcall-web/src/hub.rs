//! Fan-out of committed events to websocket clients.
//!
//! The engine calls [`HubPublisher::publish`] on its writer thread after each
//! commit. Each item is encoded to JSON **once** here, kept in a ring for
//! `?since=SEQ` resyncs, and broadcast as a cheap-to-clone [`Frame`]; one
//! task per socket forwards frames (see `ws.rs`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use qcall_core::Hall;
use qcall_engine::{Published, Publisher};
use tokio::sync::broadcast;

use crate::metrics::Metrics;
use crate::wire;

/// Frames kept for resync. A display away for longer gets a snapshot.
pub const RING_FRAMES: usize = 8192;

/// Frames a socket task may fall behind before it is resynced by snapshot.
const BROADCAST_CAPACITY: usize = 4096;

/// One encoded frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Position in the hub's stream: strictly increasing, unlike `seq`
    /// (a `queue_changed` frame shares the seq of the event it follows).
    pub idx: u64,
    pub seq: u64,
    /// A notice (not a recorded event): it shares the seq of the last event,
    /// so a snapshot at that seq does not cover it.
    pub notice: bool,
    /// Who may receive it: unauthenticated streams skip staff frames.
    pub audience: Audience,
    /// A new business day started: after this frame every socket gets a
    /// fresh snapshot of the new day.
    pub resync: bool,
    pub text: Utf8Bytes,
}

/// Who may see a frame. Events and device health are for everyone; what
/// carries personal content (a rating's comment) is for staff streams
/// only, never `/ws/display`, which any phone on the hall's Wi-Fi may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every stream, `/ws/display` included.
    Everyone,
    /// Only authenticated streams (`/ws/counter`, `/ws/staff`).
    Staff,
}

#[derive(Debug)]
struct Ring {
    frames: VecDeque<Frame>,
    next_idx: u64,
    /// Every event up to this seq may be missing from `frames` (evicted, or
    /// from before this process started).
    floor: u64,
    /// Seq of the newest frame.
    last_seq: u64,
}

/// What a subscriber starts from.
#[derive(Debug)]
pub enum Resume {
    /// Replay these frames, then follow the receiver.
    Frames(Vec<Frame>),
    /// Too old (or unknown): start from a fresh snapshot.
    Snapshot,
}

#[derive(Debug)]
pub struct Hub {
    // A std mutex: held only to push one frame or copy a slice out, never
    // across an await; subscribing under it makes "frames after `since`"
    // plus "everything the receiver gets" gap-free.
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Frame>,
    // The latest notice of each kind (device health), for status endpoints;
    // replaced on each notice, read by GET handlers, never held across IO.
    latest: Mutex<std::collections::HashMap<String, serde_json::Value>>,
}

impl Hub {
    /// A hub whose log already holds events up to `start_seq`.
    pub fn new(start_seq: u64) -> Arc<Hub> {
        let (tx, _) = broadcast::channel(BROADCAST_CAPACITY);
        let ring = Ring {
            frames: VecDeque::new(),
            next_idx: 1,
            floor: start_seq,
            last_seq: start_seq,
        };
        Arc::new(Hub {
            ring: Mutex::new(ring),
            tx,
            latest: Mutex::default(),
        })
    }

    #[cfg(test)]
    fn push(&self, seq: u64, text: String) {
        self.push_frame(seq, false, Audience::Everyone, false, text);
    }

    /// Who may see a published item: everyone, except the events that
    /// would tell a stranger who gave a 差评 (its item and every step of
    /// putting it right), a clerk's business (case numbers, uploads), or
    /// that someone at home is asking for a ticket or booking (requests,
    /// wrong codes, contacts and reminders: no screen in the hall needs them).
    fn audience_of(p: &Published) -> Audience {
        match p {
            Published::Event { rec, .. } => match rec.event {
                qcall_core::Event::RectificationOpened { .. }
                | qcall_core::Event::Rectified { .. }
                | qcall_core::Event::CaseAttached { .. }
                | qcall_core::Event::UploadDelivered { .. }
                | qcall_core::Event::RemoteRequested { .. }
                | qcall_core::Event::RemoteCodeWrong { .. }
                | qcall_core::Event::ArrivalDigitsWrong { .. }
                | qcall_core::Event::AppointmentCancelWrong { .. }
                | qcall_core::Event::BookingRequested { .. }
                | qcall_core::Event::AppointmentContact { .. }
                | qcall_core::Event::AppointmentReminded { .. } => Audience::Staff,
                _ => Audience::Everyone,
            },
            Published::QueueChanged { .. } => Audience::Everyone,
        }
    }

    fn push_frame(&self, seq: u64, notice: bool, audience: Audience, resync: bool, text: String) {
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let frame = Frame {
            idx: ring.next_idx,
            seq,
            notice,
            audience,
            resync,
            text: Utf8Bytes::from(text),
        };
        ring.next_idx += 1;
        ring.last_seq = ring.last_seq.max(seq);
        if ring.frames.len() == RING_FRAMES
            && let Some(old) = ring.frames.pop_front()
        {
            ring.floor = ring.floor.max(old.seq);
        }
        ring.frames.push_back(frame.clone());
        // No receivers is fine: nobody is watching.
        let _ = self.tx.send(frame);
    }

    /// Pushes a frame that is not a recorded event (device health, an alert
    /// for staff) into the same stream, with the seq of the last event so far:
    /// `{"type": kind, "seq": S, ...body}`. Such frames are replayed to a
    /// display resyncing from the ring like any other, but are not in the
    /// database log.
    pub fn notice(&self, kind: &str, body: serde_json::Value) {
        self.notice_to(Audience::Everyone, kind, body);
    }

    /// [`Hub::notice`] for `audience` only. Staff notices are not kept as
    /// the `latest` of their kind (status endpoints may be public).
    pub fn notice_to(&self, audience: Audience, kind: &str, body: serde_json::Value) {
        self.notice_frame(audience, false, kind, body);
    }

    /// [`Hub::notice`] after which every socket sends its screen a fresh
    /// snapshot, as at a new day: for a config reload, whose counters,
    /// names and services a screen must not keep from before.
    pub fn notice_with_snapshot(&self, kind: &str, body: serde_json::Value) {
        self.notice_frame(Audience::Everyone, true, kind, body);
    }

    fn notice_frame(&self, audience: Audience, resync: bool, kind: &str, body: serde_json::Value) {
        let seq = self.ring.lock().unwrap_or_else(|e| e.into_inner()).last_seq;
        let mut frame = serde_json::json!({ "type": kind, "seq": seq });
        if let (Some(map), serde_json::Value::Object(extra)) = (frame.as_object_mut(), body) {
            for (k, v) in extra {
                if k != "type" && k != "seq" {
                    map.insert(k, v);
                }
            }
        }
        let text = frame.to_string();
        // The latest is recorded before the frame goes out, so a client
        // that has seen the notice and then asks a status endpoint (or
        // /metrics) never gets the one before it.
        if audience != Audience::Staff {
            self.latest
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(kind.to_owned(), frame);
        }
        self.push_frame(seq, true, audience, resync, text);
    }

    /// The latest notice of `kind`, if any was sent.
    pub fn latest(&self, kind: &str) -> Option<serde_json::Value> {
        self.latest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(kind)
            .cloned()
    }

    /// The notices of one kind still in the ring, oldest first (at most
    /// `limit`, the newest ones), staff notices included: recent alerts for
    /// a supervisor who just opened the overview. Notices are ephemeral;
    /// older ones are gone.
    pub fn recent_notices(&self, kind: &str, limit: usize) -> Vec<serde_json::Value> {
        let needle = format!("\"type\":{}", serde_json::Value::from(kind));
        let texts: Vec<Utf8Bytes> = {
            let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
            ring.frames
                .iter()
                .rev()
                .filter(|f| f.text.as_str().contains(&needle))
                .take(limit)
                .map(|f| f.text.clone())
                .collect()
        };
        texts
            .iter()
            .rev()
            .filter_map(|t| serde_json::from_str(t.as_str()).ok())
            .filter(|v: &serde_json::Value| v["type"] == kind)
            .collect()
    }

    /// Subscribes; with `since`, also returns the frames after it when the
    /// ring still holds all of them.
    pub fn subscribe(&self, since: Option<u64>) -> (broadcast::Receiver<Frame>, Resume) {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let rx = self.tx.subscribe();
        let resume = match since {
            Some(s) if s >= ring.floor && s <= ring.last_seq => {
                Resume::Frames(ring.frames.iter().filter(|f| f.seq > s).cloned().collect())
            }
            _ => Resume::Snapshot,
        };
        (rx, resume)
    }
}

/// The engine-side half: encodes and pushes.
#[derive(Debug)]
pub struct HubPublisher {
    pub hub: Arc<Hub>,
    /// Replaced on a reload ([`Publisher::reload`]).
    pub hall: Arc<Hall>,
    pub site: Arc<crate::LiveSite>,
    pub metrics: Arc<Metrics>,
}

impl Publisher for HubPublisher {
    fn reload(&mut self, hall: &Arc<Hall>) {
        self.hall = hall.clone();
    }

    fn publish(&mut self, batch: &[Published]) {
        let site = self.site.get();
        for p in batch {
            self.metrics.observe(p);
            let day_started = matches!(p, Published::Event { rec, .. } if rec.event == qcall_core::Event::DayStarted);
            self.hub.push_frame(
                p.seq(),
                false,
                Hub::audience_of(p),
                day_started,
                wire::published_frame(&self.hall, &site, p),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_covers_exactly_what_the_ring_holds() {
        let hub = Hub::new(10);
        for seq in 11..=13 {
            hub.push(seq, format!("{{\"seq\":{seq}}}"));
        }
        let seqs = |since| match hub.subscribe(since).1 {
            Resume::Frames(f) => Some(f.iter().map(|f| f.seq).collect::<Vec<_>>()),
            Resume::Snapshot => None,
        };
        assert_eq!(seqs(Some(11)), Some(vec![12, 13]));
        assert_eq!(seqs(Some(10)), Some(vec![11, 12, 13]));
        assert_eq!(seqs(Some(13)), Some(vec![]));
        assert_eq!(seqs(Some(9)), None, "before this process: snapshot");
        assert_eq!(seqs(Some(99)), None, "from the future: snapshot");
        assert_eq!(seqs(None), None);
    }

    #[test]
    fn notices_join_the_stream_at_the_current_seq() {
        let hub = Hub::new(4);
        let (mut rx, _) = hub.subscribe(Some(4));
        hub.push(5, "{}".into());
        hub.notice(
            "printer_state",
            serde_json::json!({"printer": "p1", "type": "ignored"}),
        );
        assert_eq!(rx.try_recv().unwrap().seq, 5);
        let notice = rx.try_recv().unwrap();
        assert_eq!(notice.seq, 5);
        let v: serde_json::Value = serde_json::from_str(notice.text.as_str()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "printer_state", "seq": 5, "printer": "p1"})
        );
    }

    #[test]
    fn staff_notices_are_marked_and_not_kept_as_latest() {
        let hub = Hub::new(0);
        let (mut rx, _) = hub.subscribe(Some(0));
        hub.notice("alert", serde_json::json!({"kind": "wait"}));
        hub.notice_to(
            Audience::Staff,
            "alert",
            serde_json::json!({"kind": "rating"}),
        );
        let audiences = [rx.try_recv().unwrap(), rx.try_recv().unwrap()].map(|f| f.audience);
        assert_eq!(audiences, [Audience::Everyone, Audience::Staff]);
        assert_eq!(hub.latest("alert").unwrap()["kind"], "wait");
        assert_eq!(hub.recent_notices("alert", 10).len(), 2, "staff see both");
    }

    #[test]
    fn recent_notices_are_found_by_kind() {
        let hub = Hub::new(0);
        hub.notice("alert", serde_json::json!({"source": "k1"}));
        hub.push(1, "{\"type\":\"ticket_issued\",\"seq\":1}".into());
        hub.notice("printer_state", serde_json::json!({}));
        hub.notice("alert", serde_json::json!({"source": "k2"}));
        let sources = |limit| {
            hub.recent_notices("alert", limit)
                .iter()
                .map(|v| v["source"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(sources(10), ["k1", "k2"]);
        assert_eq!(sources(1), ["k2"], "the newest when limited");
    }

    #[test]
    fn eviction_raises_the_floor() {
        let hub = Hub::new(0);
        for seq in 1..=(RING_FRAMES as u64 + 5) {
            hub.push(seq, String::new());
        }
        assert!(matches!(hub.subscribe(Some(3)).1, Resume::Snapshot));
        assert!(matches!(hub.subscribe(Some(5)).1, Resume::Frames(f) if f.len() == RING_FRAMES));
    }
}

//! `/metrics` in Prometheus text format: counters kept with atomics,
//! updated as events are published and sockets come and go.

use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use qcall_core::Event;
use qcall_engine::Published;

#[derive(Debug, Default)]
pub struct Metrics {
    pub events: AtomicU64,
    pub tickets_issued: AtomicU64,
    pub calls: AtomicU64,
    pub last_seq: AtomicU64,
    pub display_clients: AtomicI64,
    pub counter_clients: AtomicI64,
    pub snapshots_sent: AtomicU64,
    pub lag_resyncs: AtomicU64,
    pub rate_limited: AtomicU64,
    // Replaced whole on every queue change; read only by scrapes.
    waiting: Mutex<Vec<(String, usize)>>,
}

impl Metrics {
    pub fn observe(&self, p: &Published) {
        match p {
            Published::Event { rec, .. } => {
                self.events.fetch_add(1, Ordering::Relaxed);
                self.last_seq.store(rec.seq, Ordering::Relaxed);
                match rec.event {
                    Event::TicketIssued { .. } => {
                        self.tickets_issued.fetch_add(1, Ordering::Relaxed);
                    }
                    Event::TicketCalled { .. } => {
                        self.calls.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
            Published::QueueChanged { queues, .. } => {
                let waiting = queues
                    .iter()
                    .map(|q| (q.service.clone(), q.waiting))
                    .collect();
                *self.waiting.lock().unwrap_or_else(|e| e.into_inner()) = waiting;
            }
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        metric(
            "qcall_events_total",
            "counter",
            "Events committed and published.",
            get(&self.events),
        );
        metric(
            "qcall_tickets_issued_total",
            "counter",
            "Tickets issued.",
            get(&self.tickets_issued),
        );
        metric(
            "qcall_calls_total",
            "counter",
            "Tickets called to a counter.",
            get(&self.calls),
        );
        metric(
            "qcall_last_seq",
            "gauge",
            "Sequence number of the last published event.",
            get(&self.last_seq),
        );
        metric(
            "qcall_display_clients",
            "gauge",
            "Connected /ws/display sockets.",
            self.display_clients.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "qcall_counter_clients",
            "gauge",
            "Connected /ws/counter sockets.",
            self.counter_clients.load(Ordering::Relaxed).to_string(),
        );
        metric(
            "qcall_snapshots_sent_total",
            "counter",
            "Snapshots sent to sockets.",
            get(&self.snapshots_sent),
        );
        metric(
            "qcall_lag_resyncs_total",
            "counter",
            "Sockets that fell behind and were resynced with a snapshot.",
            get(&self.lag_resyncs),
        );
        metric(
            "qcall_kiosk_rate_limited_total",
            "counter",
            "Kiosk and pad requests refused by the per-address rate limit.",
            get(&self.rate_limited),
        );
        let _ = writeln!(
            out,
            "# HELP qcall_waiting Tickets waiting per service.\n# TYPE qcall_waiting gauge"
        );
        for (service, n) in self
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(out, "qcall_waiting{{service=\"{service}\"}} {n}");
        }
        out
    }
}

//! The hall's printers, wired: which printer a kiosk or counter uses, what
//! a ticket and a notice slip say, and health reported to supervisors.
//!
//! The slip contents are built here (pure functions of the hall and a
//! ticket) because this crate is the one that knows both the queue and the
//! printer crate; layout and ESC/POS stay in `qcall-printer`. Printing runs
//! on each printer's own thread, after the ticket is committed, and never
//! holds up the engine nor the kiosk's reply: a new ticket is queued on its
//! printer and the result follows on the stream, and a printer known to be
//! down is skipped at once.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use qcall_core::{Hall, Millis, Ticket};
use qcall_engine::{Clock, TicketView};
use qcall_printer::{
    NoticeSlip, PaperWidth, PrinterHandle, PrinterSettings, TicketSlip, encode, notice_doc,
    ticket_doc,
};
use qcall_web::Hub;
use qcall_web::devices::{
    BoxFuture, NoticeRequest, PrintOutcome, PrintStatus, PrinterInfo, Printing, TicketPrint,
};
use serde_json::json;

use crate::config::Config;

/// Local `YYYY-MM-DD HH:MM` in the hall's time zone.
fn local_minute(hall: &Hall, at: Millis) -> String {
    qcall_core::time::local_format(at, &hall.tz, "%Y-%m-%d %H:%M").unwrap_or_default()
}

/// What an applicant's ticket says.
pub fn ticket_slip(
    hall: &Hall,
    hotline: &str,
    view: &TicketView,
    status_url: &str,
    reprint: bool,
    materials_on_ticket: usize,
) -> TicketSlip {
    let t: &Ticket = &view.ticket;
    let service = hall.service(&t.service);
    let class = hall.class(&t.class);
    let priority_label = class.filter(|_| hall.is_priority(&t.class)).map(|c| {
        let channel = if c.green { "绿色通道 " } else { "" };
        format!("{channel}{} {}", c.name.zh, c.name.en)
    });
    let mut materials: Vec<String> = service
        .map(|s| s.materials.iter().map(|m| m.zh.clone()).collect())
        .unwrap_or_default();
    if materials.len() > materials_on_ticket {
        let more = materials.len() - materials_on_ticket;
        materials.truncate(materials_on_ticket);
        materials.push(format!("……另有 {more} 项，详见取号屏或窗口告知"));
    }
    TicketSlip {
        hall_zh: hall.name.zh.clone(),
        hall_en: hall.name.en.clone(),
        number: t.number.clone(),
        service_zh: service.map_or_else(|| t.service.clone(), |s| s.name.zh.clone()),
        service_en: service.map_or_else(String::new, |s| s.name.en.clone()),
        priority_label,
        ahead: view.ahead,
        wait_zh: view.wait_words(hall).zh,
        wait_en: view.wait_words(hall).en,
        issued_at: local_minute(hall, t.issued_at),
        status_url: status_url.to_owned(),
        materials,
        hotline: hotline.to_owned(),
        reprint,
    }
}

/// What a one-time notice slip says.
pub fn notice_slip(hall: &Hall, hotline: &str, request: &NoticeRequest, now: Millis) -> NoticeSlip {
    let counter = hall.counter(&request.counter);
    let ticket = request.ticket.as_ref().map(|v| &v.ticket);
    let service = ticket.and_then(|t| hall.service(&t.service));
    NoticeSlip {
        hall_zh: hall.name.zh.clone(),
        hall_en: hall.name.en.clone(),
        counter_zh: counter.map_or_else(|| request.counter.clone(), |c| c.name.zh.clone()),
        counter_en: counter.map_or_else(String::new, |c| c.name.en.clone()),
        staff: request.staff.clone(),
        date: local_minute(hall, now),
        service_zh: service.map(|s| s.name.zh.clone()),
        service_en: service.map(|s| s.name.en.clone()),
        ticket_number: ticket.map(|t| t.number.clone()),
        missing: request.missing.clone(),
        note: request.note.clone(),
        hotline: hotline.to_owned(),
    }
}

/// The kiosk a ticket's `source` names. A kiosk is named as in a printer's
/// `kiosks = ["kiosk-1"]` and the page's `/kiosk?kiosk=kiosk-1`; older
/// kiosk pages sent `kiosk:kiosk-1`, which still finds its printer.
pub fn kiosk_name(source: &str) -> &str {
    source.strip_prefix("kiosk:").unwrap_or(source)
}

/// One configured printer.
#[derive(Debug)]
struct Entry {
    handle: PrinterHandle,
    kiosks: Vec<String>,
    counters: Vec<String>,
}

/// Every printer of the hall.
#[derive(Debug)]
pub struct HallPrinters {
    /// The engine's hall and the site settings in force: a config reload
    /// changes names, materials and the hotline on the next slip.
    hall: qcall_engine::LiveHall,
    site: Arc<qcall_web::LiveSite>,
    materials_on_ticket: usize,
    clock: Arc<dyn Clock>,
    /// The slip's QR code carries the ticket's key (`/t/{id}?k=KEY`).
    keys: qcall_store::TicketKeys,
    printers: Vec<Entry>,
    by_id: HashMap<String, usize>,
    by_kiosk: HashMap<String, usize>,
    by_counter: HashMap<String, usize>,
    notice_printer: Option<usize>,
}

impl HallPrinters {
    /// Starts a thread per configured printer; `None` when there are none.
    /// Health changes become `printer_state` frames on the hub.
    pub fn start(
        config: &Config,
        hall: qcall_engine::LiveHall,
        site: Arc<qcall_web::LiveSite>,
        hub: Arc<Hub>,
        clock: Arc<dyn Clock>,
        keys: qcall_store::TicketKeys,
    ) -> anyhow::Result<Option<Arc<HallPrinters>>> {
        let settings = config.printer_settings()?;
        if settings.is_empty() {
            return Ok(None);
        }
        let on_change: qcall_printer::OnChange =
            Arc::new(move |s: &PrinterSettings, h: &qcall_printer::Health| {
                hub.notice(
                    "printer_state",
                    json!({
                        "printer": s.id,
                        "state": h.state.as_str(),
                        "detail": h.detail,
                        "printed": h.printed,
                        "failed": h.failed,
                    }),
                );
            });
        let mut hp = HallPrinters {
            hall,
            site,
            materials_on_ticket: config.print.materials_on_ticket,
            keys,
            clock,
            printers: Vec::new(),
            by_id: HashMap::new(),
            by_kiosk: HashMap::new(),
            by_counter: HashMap::new(),
            notice_printer: None,
        };
        for (i, (s, section)) in settings.into_iter().zip(&config.printers).enumerate() {
            let handle = qcall_printer::spawn(s, on_change.clone())
                .with_context(|| format!("cannot start the thread for printer `{}`", section.id))?;
            hp.by_id.insert(section.id.clone(), i);
            hp.by_kiosk
                .extend(section.kiosks.iter().map(|k| (k.clone(), i)));
            hp.by_counter
                .extend(section.counters.iter().map(|c| (c.clone(), i)));
            hp.printers.push(Entry {
                handle,
                kiosks: section.kiosks.clone(),
                counters: section.counters.clone(),
            });
        }
        hp.notice_printer = hp.by_id.get(&config.print.notice_printer).copied();
        let hp = Arc::new(hp);
        if config.print.check_interval_s > 0 {
            let every = std::time::Duration::from_secs(config.print.check_interval_s);
            let handles: Vec<PrinterHandle> =
                hp.printers.iter().map(|p| p.handle.clone()).collect();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    for h in &handles {
                        // The outcome lands in the printer's health.
                        let _ = h.check().await;
                    }
                }
            });
        }
        Ok(Some(hp))
    }

    fn outcome(id: &str, result: Result<(), qcall_printer::PrintError>) -> PrintOutcome {
        match result {
            Ok(()) => PrintOutcome {
                status: PrintStatus::Printed,
                printer: Some(id.to_owned()),
                reason: None,
            },
            Err(e) => PrintOutcome {
                status: PrintStatus::Failed,
                printer: Some(id.to_owned()),
                reason: Some(e.to_string()),
            },
        }
    }

    fn send(&self, index: usize, bytes: Result<Vec<u8>, String>) -> BoxFuture<PrintOutcome> {
        let handle = self.printers[index].handle.clone();
        Box::pin(async move {
            let id = handle.settings().id.clone();
            match bytes {
                Ok(bytes) => HallPrinters::outcome(&id, handle.print(bytes).await),
                Err(e) => HallPrinters::outcome(&id, Err(qcall_printer::PrintError::Encode(e))),
            }
        })
    }

    fn none(reason: Option<String>) -> BoxFuture<PrintOutcome> {
        let status = if reason.is_some() {
            PrintStatus::Failed
        } else {
            PrintStatus::None
        };
        Box::pin(std::future::ready(PrintOutcome {
            status,
            printer: None,
            reason,
        }))
    }

    /// The printer of the kiosk a ticket's source names.
    fn kiosk_printer(&self, view: &TicketView) -> Option<usize> {
        let source = view.ticket.source.as_deref()?;
        self.by_kiosk.get(kiosk_name(source)).copied()
    }

    /// A ticket's slip, encoded for printer `index`.
    fn ticket_bytes(
        &self,
        index: usize,
        view: &TicketView,
        base_url: &str,
        reprint: bool,
    ) -> Result<Vec<u8>, String> {
        let url = self.keys.status_url(base_url, view.ticket.id);
        let slip = ticket_slip(
            &self.hall.get(),
            &self.site.get().hotline,
            view,
            &url,
            reprint,
            self.materials_on_ticket,
        );
        let (width, qr) = self.width(index);
        encode(&ticket_doc(&slip, width), qr).map_err(|e| e.to_string())
    }

    fn width(&self, index: usize) -> (PaperWidth, qcall_printer::QrMode) {
        let s = self.printers[index].handle.settings();
        (s.width, s.qr)
    }
}

impl Printing for HallPrinters {
    fn ticket(
        &self,
        view: TicketView,
        base_url: String,
        printer: Option<String>,
        reprint: bool,
    ) -> BoxFuture<PrintOutcome> {
        let index = match &printer {
            Some(id) => match self.by_id.get(id) {
                Some(&i) => i,
                None => return HallPrinters::none(Some(format!("there is no printer `{id}`"))),
            },
            None => match self.kiosk_printer(&view) {
                Some(i) => i,
                None => return HallPrinters::none(None),
            },
        };
        let bytes = self.ticket_bytes(index, &view, &base_url, reprint);
        self.send(index, bytes)
    }

    fn new_ticket(&self, view: TicketView, base_url: String) -> TicketPrint {
        let Some(index) = self.kiosk_printer(&view) else {
            return TicketPrint::Now(PrintOutcome {
                status: PrintStatus::None,
                printer: None,
                reason: None,
            });
        };
        let handle = self.printers[index].handle.clone();
        let id = handle.settings().id.clone();
        let health = handle.health();
        if health.state.is_down() {
            // Sending it would only wait for the timeout; a check in the
            // background finds the printer back for the next ticket.
            handle.check_soon();
            let why = health
                .detail
                .unwrap_or_else(|| health.state.as_str().replace('_', " "));
            return TicketPrint::Now(HallPrinters::outcome(
                &id,
                Err(qcall_printer::PrintError::Skipped(why)),
            ));
        }
        let queued = self
            .ticket_bytes(index, &view, &base_url, false)
            .map_err(qcall_printer::PrintError::Encode)
            .and_then(|bytes| handle.print_queued(bytes));
        match queued {
            Ok(done) => TicketPrint::Queued {
                printer: id.clone(),
                result: Box::pin(async move { HallPrinters::outcome(&id, done.await) }),
            },
            Err(e) => TicketPrint::Now(HallPrinters::outcome(&id, Err(e))),
        }
    }

    fn notice(&self, request: NoticeRequest) -> BoxFuture<PrintOutcome> {
        let Some(index) = self
            .by_counter
            .get(&request.counter)
            .copied()
            .or(self.notice_printer)
        else {
            return HallPrinters::none(None);
        };
        let slip = notice_slip(
            &self.hall.get(),
            &self.site.get().hotline,
            &request,
            self.clock.now(),
        );
        let (width, qr) = self.width(index);
        let bytes = encode(&notice_doc(&slip, width), qr).map_err(|e| e.to_string());
        self.send(index, bytes)
    }

    fn printers(&self) -> Vec<PrinterInfo> {
        self.printers
            .iter()
            .map(|p| {
                let s = p.handle.settings();
                let h = p.handle.health();
                PrinterInfo {
                    id: s.id.clone(),
                    uri: s.uri.to_string(),
                    width_mm: match s.width {
                        PaperWidth::Mm58 => 58,
                        PaperWidth::Mm80 => 80,
                    },
                    state: h.state.as_str(),
                    detail: h.detail,
                    printed: h.printed,
                    failed: h.failed,
                    since_ms: h.since_ms,
                    kiosks: p.kiosks.clone(),
                    counters: p.counters.clone(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Hall {
        Config::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/demo.toml"
        )))
        .unwrap()
        .hall()
        .unwrap()
    }

    fn view(hall: &Hall, service: &str, class: &str, ahead: u32, wait_s: u32) -> TicketView {
        let day = "2026-11-22".parse().unwrap();
        let mut state = qcall_core::HallState::new(Arc::new(hall.clone()), day, 0, 1);
        let cmd = qcall_core::Command::Issue {
            service: service.into(),
            class: Some(class.into()),
            source: None,
        };
        // 2026-11-22 09:05 in Shanghai.
        let at = 1_795_309_500_000;
        let d = state.decide(&cmd, at).unwrap();
        let rec = qcall_core::Recorded {
            seq: 1,
            at,
            event: d.events[0].clone(),
        };
        state.apply(&rec).unwrap();
        let mut v = TicketView::of(&state, d.subject.unwrap()).unwrap();
        v.ahead = ahead;
        v.estimated_wait_s = wait_s;
        v.estimated_wait_range_s = (wait_s * 3 / 4, wait_s * 4 / 3);
        // As if a counter were open (none is in this bare state).
        v.no_counter = None;
        v
    }

    #[test]
    fn a_ticket_slip_says_what_the_applicant_needs() {
        let hall = demo();
        let slip = ticket_slip(
            &hall,
            "12345",
            &view(&hall, "B", "disabled", 3, 61),
            "http://h/t/1",
            false,
            4,
        );
        assert_eq!(slip.number, "B001");
        assert_eq!(slip.service_zh, "残疾人证办理");
        assert_eq!(
            slip.priority_label.as_deref(),
            Some("绿色通道 残疾人 Person with disability")
        );
        assert_eq!(slip.ahead, 3);
        assert_eq!(
            (slip.wait_zh.as_str(), slip.wait_en.as_str()),
            ("马上", "a few minutes"),
            "a range that ends within 5 minutes is not a number"
        );
        assert_eq!(slip.issued_at, "2026-11-22 09:05");
        // Six materials, four printed and a pointer to the rest.
        assert_eq!(slip.materials.len(), 5);
        assert!(
            slip.materials[4].contains("另有 2 项"),
            "{:?}",
            slip.materials
        );
        let normal = ticket_slip(
            &hall,
            "12345",
            &view(&hall, "A", "normal", 0, 0),
            "u",
            true,
            10,
        );
        assert_eq!(normal.priority_label, None);
        assert!(normal.reprint);
        // A longer wait prints its range: 1125-2000 s.
        let long = ticket_slip(
            &hall,
            "1",
            &view(&hall, "A", "normal", 9, 1500),
            "u",
            false,
            4,
        );
        assert_eq!(
            (long.wait_zh.as_str(), long.wait_en.as_str()),
            ("约 18-34 分钟", "about 18-34 min")
        );
        // With no counter open, no number at all.
        let mut closed = view(&hall, "A", "normal", 9, 1500);
        closed.no_counter = Some(qcall_core::NoCounter { opens_at: None });
        let slip = ticket_slip(&hall, "1", &closed, "u", false, 4);
        assert_eq!(
            (slip.wait_zh.as_str(), slip.wait_en.as_str()),
            ("暂无窗口办理", "no counter open now")
        );
    }

    #[test]
    fn a_kiosk_is_found_by_its_name_with_or_without_the_old_prefix() {
        for (source, kiosk) in [
            ("kiosk-1", "kiosk-1"),
            ("kiosk:kiosk-1", "kiosk-1"),
            ("east:1", "east:1"),
            ("kiosk:", ""),
        ] {
            assert_eq!(kiosk_name(source), kiosk, "{source}");
        }
    }

    #[test]
    fn a_notice_slip_names_the_counter_and_ticket() {
        let hall = demo();
        let request = NoticeRequest {
            counter: "3".into(),
            staff: "li.na".into(),
            missing: vec!["医院诊断证明".into()],
            note: None,
            ticket: Some(view(&hall, "B", "normal", 0, 0)),
        };
        let slip = notice_slip(&hall, "12345", &request, 1_795_309_500_000);
        assert_eq!(
            (slip.counter_zh.as_str(), slip.counter_en.as_str()),
            ("3号窗口", "Counter 3")
        );
        assert_eq!(slip.ticket_number.as_deref(), Some("B001"));
        assert_eq!(slip.service_en.as_deref(), Some("Disability certificate"));
        assert_eq!(slip.date, "2026-11-22 09:05");
    }
}

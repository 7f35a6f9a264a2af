//! Remote applicants in `qcall simulate` (`--remote-share`): a share of the
//! day's applicants take their ticket from home on `/r` at the moment they
//! would have walked in, set out as their ticket's page says (to be there
//! a little before the expected call, after a 15-45 minute journey) and
//! check in at the kiosk — most on time, some late, some never. A small
//! addition beside the simulation loop (`day.rs`): the loop asks [`Remote::take`] for each arrival and
//! [`Remote::arrivals_due`] each step; the report gains a section
//! comparing walk-ins' waits with a run of the same day without remote
//! applicants ([`append_report`]).
//!
//! Codes are not simulated: the request is confirmed as if the right code
//! was typed (`code_ok`), the rest is the real engine's.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use qcall_core::command::ArrivalProof;
use qcall_core::stats::GroupStats;
use qcall_core::ticket::Channel;
use qcall_core::{Command, Millis, Ticket, TicketId, TicketState};
use qcall_engine::{EngineError, EngineHandle};

use super::day::{MINUTE, Rng};

/// How a remote applicant turns up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comes {
    /// A little before the expected call (or after the journey).
    OnTime,
    /// 30-90 minutes after that: likely after their turn.
    Late,
    Never,
}

/// The remote applicants of one simulated day.
pub(super) struct Remote {
    share: f64,
    /// Its own random stream, so walk-ins are the same with or without.
    rng: Rng,
    /// Tickets to check in, and when.
    arriving: Vec<(Millis, TicketId)>,
    taken: u32,
    /// Asked for one but refused (quota, cut-off): they walked in instead.
    pub refused: u32,
    /// Would have queued from home, but the wait was shorter than the journey.
    came_anyway: u32,
    never: u32,
    late: u32,
}

impl Remote {
    pub fn new(share: f64, seed: u64) -> Remote {
        Remote {
            share,
            rng: Rng::new(seed ^ 0xD1B5_4A32_D192_ED03),
            arriving: Vec::new(),
            taken: 0,
            refused: 0,
            came_anyway: 0,
            never: 0,
            late: 0,
        }
    }

    /// Whether the applicant arriving at `now` for `service` takes a remote
    /// ticket instead (and has taken it): `false` means they walk in.
    pub async fn take(
        &mut self,
        engine: &EngineHandle,
        n: usize,
        service: &str,
        now: Millis,
    ) -> anyhow::Result<bool> {
        if self.rng.unit() >= self.share {
            return Ok(false);
        }
        // They look at /r first (`GET /remote/services`: the wait of a
        // ticket taken now): with a wait shorter than their journey there
        // is nothing to gain, and they simply come.
        let journey = (15.0 + self.rng.unit() * 30.0) as Millis * MINUTE;
        let svc = service.to_owned();
        let wait_now = engine.read(move |s, _| s.estimate_new(&svc).wait_s).await?;
        if i64::from(wait_now) * 1000 < journey {
            self.came_anyway += 1;
            return Ok(false);
        }
        let request = format!("simulated-{n:08}");
        let start = Command::StartRemote {
            request: request.clone(),
            service: service.into(),
            phone: format!("139{n:08}"),
        };
        let confirm = Command::ConfirmRemote {
            request,
            code_ok: true,
        };
        let ticket = match engine.execute(start).await {
            Ok(_) => match engine.execute(confirm).await {
                Ok(reply) => reply.ticket.map(|v| (v.ticket.id, v.estimated_wait_s)),
                Err(EngineError::Rejected(_)) => None,
                Err(e) => return Err(e).context("confirming a simulated remote ticket"),
            },
            Err(EngineError::Rejected(_)) => None,
            Err(e) => return Err(e).context("asking for a simulated remote ticket"),
        };
        let Some((ticket, wait_s)) = ticket else {
            self.refused += 1;
            return Ok(false);
        };
        self.taken += 1;
        // They set out as /t says: to be there a little before the
        // expected call, and never sooner than the journey allows.
        let margin = (5.0 + self.rng.unit() * 10.0) as Millis * MINUTE;
        let there = (i64::from(wait_s) * 1000 - margin).max(journey);
        let comes = match self.rng.unit() {
            x if x < 0.80 => Comes::OnTime,
            x if x < 0.92 => Comes::Late,
            _ => Comes::Never,
        };
        match comes {
            Comes::OnTime => self.arriving.push((now + there, ticket)),
            Comes::Late => {
                self.late += 1;
                let late = (30.0 + self.rng.unit() * 60.0) as Millis * MINUTE;
                self.arriving.push((now + there + late, ticket));
            }
            Comes::Never => self.never += 1,
        }
        Ok(true)
    }

    /// Checks in everyone who reaches the kiosk by `now`; one whose ticket
    /// lapsed is turned away (counted by the ticket's state).
    pub async fn arrivals_due(&mut self, engine: &EngineHandle, now: Millis) -> anyhow::Result<()> {
        let (due, later): (Vec<_>, Vec<_>) =
            self.arriving.drain(..).partition(|(at, _)| *at <= now);
        self.arriving = later;
        for (_, ticket) in due {
            let cmd = Command::Arrive {
                ticket,
                proof: ArrivalProof::Code,
                by: "kiosk-1".into(),
            };
            match engine.execute(cmd).await {
                Ok(_) | Err(EngineError::Rejected(_)) => {}
                Err(e) => return Err(e).context("checking in a simulated remote ticket"),
            }
        }
        Ok(())
    }

    /// When the next remote applicant reaches the kiosk.
    pub fn next_at(&self) -> Option<Millis> {
        self.arriving.iter().map(|(at, _)| *at).min()
    }

    /// Whether anyone is still on their way.
    pub fn travelling(&self) -> bool {
        !self.arriving.is_empty()
    }
}

/// Walk-ins' figures of a day.
fn walk_ins(tickets: &[Ticket], hall: &qcall_core::Hall) -> GroupStats {
    let stats = qcall_core::stats::day_stats(hall, tickets);
    stats
        .by_channel
        .into_iter()
        .find(|(c, _)| c == Channel::WalkIn.as_str())
        .map(|(_, g)| g)
        .unwrap_or_default()
}

/// Appends the remote applicants' section to the report: walk-ins' waits
/// with and without them, and what became of the remote tickets.
pub(super) fn append_report(
    report: &Path,
    hall: &qcall_core::Hall,
    remote: &Remote,
    with: &[Ticket],
    without: &[Ticket],
) -> anyhow::Result<()> {
    let m = |s: Option<i64>| s.map_or("-".into(), |s| format!("{}:{:02}", s / 60, s % 60));
    let (a, b) = (walk_ins(without, hall), walk_ins(with, hall));
    let of_remote = |f: &dyn Fn(&Ticket) -> bool| {
        with.iter()
            .filter(|t| t.channel == Channel::Remote && f(t))
            .count()
    };
    let mut out = String::new();
    writeln!(
        out,
        "\n## Remote applicants (`--remote-share {}`)\n",
        remote.share
    )?;
    writeln!(
        out,
        "A share of the applicants take their ticket from home on `/r` when they would have walked in and set out as its page says, to be there 5-15 minutes before the expected call (a journey takes 15-45 minutes; when `/r` shows a wait shorter than the journey they simply come in person): 80% check in then, 12% 30-90 minutes later, 8% never. The same day (seed, arrivals, services) is run again without remote applicants for the comparison. Refused remote requests (quota, cut-off) walk in instead.\n"
    )?;
    writeln!(out, "| | without remote | with remote |")?;
    writeln!(out, "|---|---:|---:|")?;
    writeln!(out, "| walk-in tickets | {} | {} |", a.issued, b.issued)?;
    writeln!(
        out,
        "| walk-in wait p50 (m:ss) | {} | {} |",
        m(a.wait_p50_s),
        m(b.wait_p50_s)
    )?;
    writeln!(
        out,
        "| walk-in wait p90 | {} | {} |",
        m(a.wait_p90_s),
        m(b.wait_p90_s)
    )?;
    writeln!(
        out,
        "| walk-in wait max | {} | {} |",
        m(a.wait_max_s),
        m(b.wait_max_s)
    )?;
    writeln!(out)?;
    writeln!(out, "| remote tickets | |")?;
    writeln!(out, "|---|---:|")?;
    writeln!(out, "| taken from home | {} |", remote.taken)?;
    writeln!(out, "| refused (walked in instead) | {} |", remote.refused)?;
    writeln!(
        out,
        "| wait shorter than the journey (came in person) | {} |",
        remote.came_anyway
    )?;
    writeln!(
        out,
        "| checked in | {} |",
        of_remote(&|t| t.arrived_at.is_some())
    )?;
    writeln!(
        out,
        "| of them served | {} |",
        of_remote(&|t| t.state == TicketState::Done)
    )?;
    writeln!(
        out,
        "| lapsed | {} |",
        of_remote(&|t| t.state == TicketState::Lapsed)
    )?;
    writeln!(
        out,
        "| set out late / never came | {} / {} |",
        remote.late, remote.never
    )?;
    writeln!(
        out,
        "| still not arrived at closing | {} |",
        of_remote(&|t| t.state == TicketState::Remote)
    )?;
    let mut text =
        std::fs::read_to_string(report).with_context(|| format!("reading {}", report.display()))?;
    text.push_str(&out);
    std::fs::write(report, text)?;
    Ok(())
}

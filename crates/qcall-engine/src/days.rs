//! The business day's life in the writer: rebuilding a day's state from
//! its events (start-up and reload replay them through the same `apply`),
//! rolling over at midnight, and swapping in a reloaded hall definition.
//! The writer loop, its batches and commits stay in the crate root; this
//! file only changes which day or which hall the state is of.

use std::sync::Arc;

use qcall_core::time::business_day;
use qcall_core::{Command, Event, Hall, HallState, Millis, Rejection};
use qcall_store::{Store, StoreError};

use crate::{EngineError, Writer, record};
/// Rebuilds the state of the business day that `now` falls on.
pub(crate) fn restore(
    hall: &Arc<Hall>,
    store: &Store,
    now: Millis,
) -> Result<HallState, StoreError> {
    restore_day(hall, store, business_day(now, &hall.tz))
}

/// Rebuilds the state of business day `day` from its events.
pub(crate) fn restore_day(
    hall: &Arc<Hall>,
    store: &Store,
    day: qcall_core::BusinessDay,
) -> Result<HallState, StoreError> {
    let (state, misfits) = replay_day(hall, store, day)?;
    for e in &misfits {
        tracing::error!(error = %e, "skipping an event that does not fit the hall config; run `qcall db check`");
    }
    tracing::info!(day = %day, last_seq = state.last_seq(), skipped = misfits.len(), tickets = state.tickets().count(), "restored today's queue");
    Ok(state)
}

/// Replays business day `day`'s events under `hall`; returns the state and
/// why each event that does not fit the hall was skipped (start-up skips
/// them; a reload is refused on the first).
pub(crate) fn replay_day(
    hall: &Arc<Hall>,
    store: &Store,
    day: qcall_core::BusinessDay,
) -> Result<(HallState, Vec<String>), StoreError> {
    let events = store.events_of_day(day)?;
    let before = events.first().map_or(store.last_seq()?, |e| e.seq - 1);
    let mut state = HallState::new(hall.clone(), day, before, store.next_ticket_id()?);
    let mut misfits = Vec::new();
    for rec in &events {
        if let Err(e) = state.apply(rec) {
            misfits.push(format!("event {} ({}): {e}", rec.seq, rec.event.kind()));
        }
    }
    // Appointments booked on earlier days for this one.
    state.load_appointments(store.appointments_of_day(day)?);
    // 差评 still being put right, of any day, as the store has them.
    state.load_rectifications(store.open_rectifications()?);
    let last = store.last_seq()?;
    if last > state.last_seq() {
        tracing::warn!(last, day = %day, "the log has events after today's; was the clock set back?");
        state.skip_seq_to(last);
    }
    Ok((state, misfits))
}

impl Writer {
    /// Starts the business day `now` falls on, if it is a new one: the old
    /// day's still waiting and called tickets expire (recorded on that
    /// day, so its statistics count them), the new day starts empty with a
    /// `day_started` event (every screen gets a fresh snapshot on it), all
    /// in one transaction, published after it commits. Called before every
    /// batch and on the daemon's tick, so a hall left on overnight rolls
    /// over at midnight, not at the first ticket.
    pub(crate) fn roll_over(&mut self, now: Millis) {
        let day = business_day(now, &self.state.hall().tz);
        if day == self.state.day() {
            return;
        }
        if self.health.fault().is_some_and(|f| f.refuses_writes()) {
            return;
        }
        let from = self.state.day();
        let expired = self.state.expiry();
        let mut published = Vec::new();
        let outcome = (|| {
            let mut batch = self.store.batch()?;
            for event in expired.iter().cloned() {
                record(&mut self.state, &mut batch, event, now, &mut published)?;
            }
            self.state = self.state.next_day(day);
            record(
                &mut self.state,
                &mut batch,
                Event::DayStarted,
                now,
                &mut published,
            )?;
            batch.commit()
        })();
        match outcome {
            Ok(()) => {
                tracing::info!(from = %from, to = %day, expired = expired.len(), "new business day: numbering restarts");
                for publisher in &mut self.publishers {
                    publisher.publish(&published);
                }
            }
            Err(e) => {
                // Nothing of it is stored: start the day from the store, as
                // a restart would (the expiry is tried again next time).
                tracing::error!(error = %e, "cannot record the start of the new business day");
                match restore(self.state.hall(), &self.store, now) {
                    Ok(state) => self.state = state,
                    Err(e) => tracing::error!(error = %e, "cannot restore the new day"),
                }
            }
        }
        match self.store.appointments_of_day(day) {
            Ok(list) => self.state.load_appointments(list),
            Err(e) => tracing::error!(error = %e, "cannot load today's appointments"),
        }
    }

    /// Swaps in a new hall definition (see [`EngineHandle::reload`]): the
    /// new state is built and the audit event committed before anything
    /// is replaced, so a refusal or a failed commit leaves the running
    /// hall exactly as it was.
    pub(crate) fn reload(
        &mut self,
        hall: Arc<Hall>,
        by: String,
        summary: String,
    ) -> Result<u64, EngineError> {
        if let Some(fault) = self.health.fault().filter(|f| f.refuses_writes()) {
            return Err(EngineError::Unavailable(fault));
        }
        let now = self.clock.now();
        self.roll_over(now);
        // A service the new hall lacks must not strand anyone waiting.
        let mut stranded: Vec<(&str, usize)> = Vec::new();
        for t in self.state.tickets().filter(|t| t.state.is_open()) {
            if hall.service(&t.service).is_none() {
                match stranded.iter_mut().find(|(s, _)| *s == t.service) {
                    Some((_, n)) => *n += 1,
                    None => stranded.push((&t.service, 1)),
                }
            }
        }
        if let Some((service, n)) = stranded.first() {
            return Err(EngineError::Rejected(Rejection::ConfigRefused(format!(
                "service `{service}` still has {n} ticket(s) waiting or being served; keep it in the config until they are done"
            ))));
        }
        let (mut state, misfits) = replay_day(&hall, &self.store, self.state.day())
            .map_err(|e| EngineError::Storage(e.to_string()))?;
        if let Some(first) = misfits.first() {
            return Err(EngineError::Rejected(Rejection::ConfigRefused(format!(
                "today's queue does not fit the new config ({first}); keep what today's tickets and counters use until the day ends"
            ))));
        }
        let audit = Command::Audit {
            action: "config_reload".into(),
            by,
            detail: summary,
            counter: None,
        };
        let decision = state.decide(&audit, now)?;
        let mut published = Vec::new();
        let outcome = (|| {
            let mut batch = self.store.batch()?;
            for event in decision.events {
                record(&mut state, &mut batch, event, now, &mut published)?;
            }
            batch.commit()
        })();
        if let Err(e) = outcome {
            tracing::error!(error = %e, "cannot record a config reload; the running config stays");
            return Err(EngineError::Storage(e.to_string()));
        }
        self.state = state;
        self.hall.set(hall.clone());
        for publisher in &mut self.publishers {
            publisher.reload(&hall);
            publisher.publish(&published);
        }
        Ok(self.state.last_seq())
    }
}

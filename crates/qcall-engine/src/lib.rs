//! The hall's single writer.
//!
//! One OS thread owns the day's [`HallState`] and the read-write [`Store`];
//! everything else talks to it through a cloneable [`EngineHandle`] over a
//! bounded channel. For each batch of commands waiting in the channel the
//! thread:
//!
//! 1. **decides** each command against the state (a refusal changes nothing),
//! 2. **applies** the decided events in memory and writes them, with the
//!    projection rows [`HallState::apply`] reports they changed, into one
//!    SQLite transaction,
//! 3. **commits** the transaction (group commit: one fsync for the batch),
//! 4. only then **publishes** the events and **replies** to each caller.
//!
//! If the commit fails, nobody is told anything happened: every caller gets
//! [`EngineError::Storage`] and the state is rebuilt from the store. The
//! database file is checked around every commit: once it is gone or
//! replaced (SQLite would go on writing to the old inode), every change is
//! refused with [`EngineError::Unavailable`], so no caller is told a change
//! is saved that the next start will not find. [`Health`] records the
//! fault for `/healthz`; each failure is logged once, here. Reads
//! ([`EngineHandle::read`]) run between batches, so they never see
//! uncommitted state. Start-up replays the business day's events through
//! [`HallState::apply`], the same code that applied them the first time.
//!
//! This crate does no networking and knows no wire format: publishing goes
//! to [`Publisher`]s that the binary plugs in (websockets, printer, speaker).

mod clock;
mod days;
mod views;

use std::sync::{Arc, RwLock};
use std::thread;

use qcall_core::time::business_day;
use qcall_core::{Command, Event, Hall, HallState, Millis, Recorded, Rejection, TicketId};
use qcall_store::{Batch, Fault, Health, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

use days::{restore, restore_day};

pub use clock::{Clock, ManualClock, SystemClock};
pub use views::{CounterView, Published, ServiceQueue, Snapshot, TicketView};

/// How many commands one transaction may carry. Large enough that a burst
/// of kiosks shares an fsync, small enough that the first caller in a batch
/// is not kept waiting behind a long one.
const MAX_BATCH: usize = 256;

/// Commands waiting for the writer. Bounded so a flood of requests queues in
/// the callers (and their sockets), not in memory here.
const CHANNEL_CAPACITY: usize = 4096;

/// Why a command did not take effect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The domain refused it; nothing changed.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// It could not be saved; nothing changed. The detail is for the log
    /// (the engine logged it once).
    #[error("the change could not be saved to the database: {0}")]
    Storage(String),
    /// The database cannot take changes (its file is gone or replaced, the
    /// disk is full, it is damaged); nothing changed. The fault's message
    /// says what to do.
    #[error("{}", .0.message())]
    Unavailable(Fault),
    /// The engine has stopped (shutdown in progress).
    #[error("the queue engine has stopped")]
    Stopped,
}

/// What a committed command produced.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Sequence number of the last event after this command.
    pub seq: u64,
    /// The ticket the command was about, as it stands after it.
    pub ticket: Option<TicketView>,
}

/// Receives every committed batch, in commit order, on the writer thread.
///
/// Implementations must be quick and must not block (hand work to a task or
/// thread of their own): the next batch waits for them.
pub trait Publisher: Send {
    fn publish(&mut self, batch: &[Published]);

    /// The hall definition was replaced (a config reload); later batches
    /// are of the new hall. Called on the writer thread before the reload's
    /// audit event is published.
    fn reload(&mut self, _hall: &Arc<Hall>) {}
}

type ReadFn = Box<dyn FnOnce(&HallState, &Store) + Send>;
type WriteFn = Box<dyn FnOnce(&HallState, &mut Store) + Send>;

/// The closed set of requests the writer thread handles.
enum Request {
    /// Decide and commit a command.
    Execute {
        cmd: Command,
        reply: oneshot::Sender<Result<Reply, EngineError>>,
    },
    /// Run a read against committed state (and the store).
    Read(ReadFn),
    /// Write store rows outside the event log (staff accounts, sessions):
    /// nothing replay reads, so it needs no event.
    Write(WriteFn),
    /// Look at the clock: start a new business day if it is one.
    Tick,
    /// Swap the hall definition (a config reload): checked against today's
    /// state, audited, then applied; see [`EngineHandle::reload`].
    Reload {
        hall: Arc<Hall>,
        by: String,
        summary: String,
        reply: oneshot::Sender<Result<u64, EngineError>>,
    },
}

/// What [`EngineHandle::check_storage`] found, with where the log stands
/// (one round trip through the writer for `/healthz`).
#[derive(Debug, Clone, Copy)]
pub struct StorageCheck {
    /// The database's fault, if it has one.
    pub fault: Option<Fault>,
    pub seq: u64,
    pub day: qcall_core::BusinessDay,
}

/// The hall as the writer last swapped it in, for readers outside the
/// writer (handlers, printers). A lock, not the actor: every request reads
/// it without a round trip through the writer, only the writer replaces it
/// (on a reload, after its state took the new hall), and it is held only
/// to clone the `Arc`. Holding one does not keep the engine running.
#[derive(Clone, Debug)]
pub struct LiveHall(Arc<RwLock<Arc<Hall>>>);

impl LiveHall {
    /// The hall now in force (take it once per request or slip).
    pub fn get(&self) -> Arc<Hall> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, hall: Arc<Hall>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = hall;
    }
}

/// A cloneable handle on the engine; the thread stops when the last drops.
#[derive(Clone, Debug)]
pub struct EngineHandle {
    tx: mpsc::Sender<Request>,
    hall: LiveHall,
    clock: Arc<dyn Clock>,
    health: Arc<Health>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::Execute { cmd, .. } => f.debug_struct("Execute").field("cmd", cmd).finish(),
            Request::Read(_) => f.write_str("Read"),
            Request::Write(_) => f.write_str("Write"),
            Request::Tick => f.write_str("Tick"),
            Request::Reload { summary, .. } => {
                f.debug_struct("Reload").field("summary", summary).finish()
            }
        }
    }
}

impl EngineHandle {
    /// The hall definition now in force (a reload may replace it: take
    /// it once per request, not once per process).
    pub fn hall(&self) -> Arc<Hall> {
        self.hall.get()
    }

    /// The engine's hall for a reader that must not hold the engine open.
    pub fn live_hall(&self) -> LiveHall {
        self.hall.clone()
    }

    /// Replaces the hall definition (a config reload) between batches.
    /// Refused, with nothing changed, when today's state does not fit the
    /// new hall: a removed service still has tickets waiting, or an event
    /// of today names something the new hall lacks. Otherwise today's
    /// events are replayed under the new hall, the reload is audited
    /// (`config_reload`, by `by`, with `summary`) in the same step, every
    /// publisher is told ([`Publisher::reload`]) and the handle's hall is
    /// swapped. Returns the audit event's seq.
    pub async fn reload(
        &self,
        hall: Arc<Hall>,
        by: String,
        summary: String,
    ) -> Result<u64, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Reload {
                hall,
                by,
                summary,
                reply,
            })
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// The database's health: the writer's last fault, the last backup.
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// The error for a failed read, logged here (the HTTP layer does not
    /// log it again); a full disk or a damaged file is recorded in
    /// [`Health`] and logged once, when it is news.
    pub fn read_failed(&self, e: StoreError) -> EngineError {
        match Fault::of(&e) {
            Some(fault) => {
                note_fault(&self.health, fault, &e);
                EngineError::Unavailable(fault)
            }
            None => {
                tracing::error!(error = %e, "cannot read the database");
                EngineError::Storage(e.to_string())
            }
        }
    }

    /// Looks at the database between batches: is its path still the file
    /// the writer writes to, and can it be read? Records what is wrong in
    /// [`Health`] (logged once) and returns the current fault. The daemon
    /// calls it every second and `/healthz` on each request.
    pub async fn check_storage(&self) -> Result<StorageCheck, EngineError> {
        let health = self.health.clone();
        let (seq, day) = self
            .read(move |s, store| {
                if let Err(fault) = store.verify_file() {
                    note_fault(&health, fault, &store.path().display());
                } else if let Err(e) = store.last_seq()
                    && let Some(fault) = Fault::of(&e)
                {
                    note_fault(&health, fault, &e);
                }
                (s.last_seq(), s.day())
            })
            .await?;
        Ok(StorageCheck {
            fault: self.health.fault(),
            seq,
            day,
        })
    }

    /// The engine's clock (the system clock, or a test's manual clock).
    pub fn now(&self) -> Millis {
        self.clock.now()
    }

    /// Decides and commits `cmd`; returns once it is durable.
    pub async fn execute(&self, cmd: Command) -> Result<Reply, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request::Execute { cmd, reply })
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Runs `f` on the writer thread against committed state.
    pub async fn read<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: FnOnce(&HallState, &Store) -> R + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadFn = Box::new(move |state, store| {
            let _ = tx.send(f(state, store));
        });
        self.tx
            .send(Request::Read(job))
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)
    }

    /// Runs `f` on the writer thread with the read-write store, between
    /// batches: for rows outside the event log only (staff accounts and
    /// their sessions), which no replay reads and no stream shows.
    pub async fn write<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: FnOnce(&HallState, &mut Store) -> R + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteFn = Box::new(move |state, store| {
            let _ = tx.send(f(state, store));
        });
        self.tx
            .send(Request::Write(job))
            .await
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)
    }

    /// Asks the writer to look at the clock: at a new business day it
    /// closes the old one and starts the new (see `roll_over`). Returns
    /// once that is done.
    pub async fn tick(&self) -> Result<(), EngineError> {
        self.tx
            .send(Request::Tick)
            .await
            .map_err(|_| EngineError::Stopped)?;
        self.read(|_, _| ()).await
    }

    /// Everything a display needs to draw the hall, at one sequence number.
    pub async fn snapshot(&self) -> Result<Snapshot, EngineError> {
        let now = self.now();
        self.read(move |state, _| Snapshot::of(state, now)).await
    }

    /// Whether ticket `id` exists, today or on an earlier day: no view, no
    /// estimate (a page load asks only this).
    pub async fn ticket_exists(&self, id: TicketId) -> Result<bool, EngineError> {
        self.read(move |state, store| match state.ticket(id) {
            Some(_) => Ok(true),
            None => store.ticket(id).map(|t| t.is_some()),
        })
        .await?
        .map_err(|e: StoreError| self.read_failed(e))
    }

    /// A ticket of today (live) or of an earlier day (as last recorded).
    pub async fn ticket(&self, id: TicketId) -> Result<Option<TicketView>, EngineError> {
        self.read(move |state, store| match state.ticket(id) {
            Some(_) => Ok(TicketView::of(state, id)),
            None => store.ticket(id).map(|t| t.map(TicketView::finished)),
        })
        .await?
        .map_err(|e: StoreError| self.read_failed(e))
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the event log to restore today's queue: {0}")]
    Store(#[from] StoreError),
    #[error("cannot start the engine thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Restores today's state from `store` and starts the writer thread.
pub fn start(
    hall: Arc<Hall>,
    store: Store,
    clock: Arc<dyn Clock>,
    publishers: Vec<Box<dyn Publisher>>,
) -> Result<(EngineHandle, thread::JoinHandle<()>), StartError> {
    // A hall that was off at midnight starts on the day it stopped, so the
    // writer's first step closes that day (its open tickets expire) and
    // starts today, exactly as if it had run through the night.
    let now = clock.now();
    let today = business_day(now, &hall.tz);
    let state = match store.last_day()? {
        Some(last) if last < today => restore_day(&hall, &store, last)?,
        _ => restore(&hall, &store, now)?,
    };
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let health = store.health().clone();
    let shared_hall = LiveHall(Arc::new(RwLock::new(hall)));
    let writer = Writer {
        hall: shared_hall.clone(),
        state,
        health: health.clone(),
        store,
        clock: clock.clone(),
        rx,
        publishers,
    };
    let join = thread::Builder::new()
        .name("qcall-engine".into())
        .spawn(move || writer.run())?;
    Ok((
        EngineHandle {
            tx,
            hall: shared_hall,
            clock,
            health,
        },
        join,
    ))
}

/// The writer thread's world.
struct Writer {
    /// The handles' copy of the hall, replaced on a reload.
    hall: LiveHall,
    state: HallState,
    store: Store,
    health: Arc<Health>,
    clock: Arc<dyn Clock>,
    rx: mpsc::Receiver<Request>,
    publishers: Vec<Box<dyn Publisher>>,
}

/// A command decided in the current batch, waiting for the commit.
struct Pending {
    reply: oneshot::Sender<Result<Reply, EngineError>>,
    result: Result<Reply, EngineError>,
}

impl Writer {
    fn run(mut self) {
        // Restored on an earlier day (the hall was off at midnight): close it.
        let now = self.clock.now();
        self.roll_over(now);
        let mut commands = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = self.rx.blocking_recv() {
            let mut next = Some(first);
            // Take whatever else is already queued: that is the batch.
            while let Some(req) = next.take() {
                match req {
                    Request::Execute { cmd, reply } => commands.push((cmd, reply)),
                    Request::Read(f) => {
                        // A read must not see this batch before it commits.
                        self.commit_batch(&mut commands);
                        f(&self.state, &self.store);
                    }
                    Request::Write(f) => {
                        self.commit_batch(&mut commands);
                        f(&self.state, &mut self.store);
                    }
                    Request::Tick => {
                        self.commit_batch(&mut commands);
                        let now = self.clock.now();
                        self.roll_over(now);
                    }
                    Request::Reload {
                        hall,
                        by,
                        summary,
                        reply,
                    } => {
                        self.commit_batch(&mut commands);
                        let _ = reply.send(self.reload(hall, by, summary));
                    }
                }
                if commands.len() < MAX_BATCH {
                    next = self.rx.try_recv().ok();
                }
            }
            self.commit_batch(&mut commands);
        }
        tracing::info!("queue engine stopped");
    }

    fn commit_batch(
        &mut self,
        commands: &mut Vec<(Command, oneshot::Sender<Result<Reply, EngineError>>)>,
    ) {
        if commands.is_empty() {
            return;
        }
        // A file gone or replaced takes no more changes: they would be
        // acknowledged and then lost.
        if let Err(fault) = self.store.verify_file() {
            self.fault(fault);
        }
        if let Some(fault) = self.health.fault().filter(|f| f.refuses_writes()) {
            for (_, reply) in commands.drain(..) {
                let _ = reply.send(Err(EngineError::Unavailable(fault)));
            }
            return;
        }
        let now = self.clock.now();
        self.roll_over(now);
        // A suspended ticket of an earlier day returns: fetch it now, as the
        // core does no IO and the batch will hold the connection.
        for (cmd, _) in commands.iter_mut() {
            if let Command::Return { ticket, earlier } = cmd
                && earlier.is_none()
                && self.state.ticket(*ticket).is_none()
            {
                *earlier = self.store.ticket(*ticket).ok().flatten().map(Box::new);
            }
        }
        // A booking confirmed for a later day: how full its slot is and
        // whether the same person booked are in the store (the core does
        // no IO). Bookings of this same batch are not seen: at worst a
        // slot takes one more than its limit.
        for (cmd, _) in commands.iter_mut() {
            if let Command::ConfirmBooking {
                request,
                booked_in_slot,
                same_person,
                ..
            } = cmd
                && let Some(r) = self.state.remote_request(request)
                && let Some(draft) = &r.booking
            {
                let hall = self.state.hall();
                let slot_day = business_day(draft.slot_start, &hall.tz);
                let end = draft.slot_start + hall.appointments.slot_ms;
                *booked_in_slot = self
                    .store
                    .bookings_in(&r.service, slot_day, draft.slot_start, end)
                    .unwrap_or(u32::MAX);
                *same_person = self
                    .store
                    .booked_by(&r.service, slot_day, &draft.id_hash)
                    .unwrap_or(true);
            }
        }
        let mut pending = Vec::with_capacity(commands.len());
        let mut published = Vec::new();
        let outcome = self.write(commands, now, &mut pending, &mut published);
        // Committed, but to the file the path still names? If not, the
        // batch went to a file nobody will read: nobody hears "done".
        let outcome = outcome.and_then(|changed| match self.store.verify_file() {
            Ok(()) => Ok(changed),
            Err(fault) => Err(Committed::Lost(fault)),
        });
        match outcome {
            Ok(queues_changed) => {
                if self.health.commit_succeeded() {
                    tracing::info!("the database takes changes again");
                }
                if queues_changed {
                    published.push(Published::QueueChanged {
                        seq: self.state.last_seq(),
                        at: now,
                        queues: ServiceQueue::all(&self.state),
                    });
                }
                // Publish before replying: once a caller hears "done", the
                // change is already in every stream (and in /metrics).
                if !published.is_empty() {
                    for publisher in &mut self.publishers {
                        publisher.publish(&published);
                    }
                }
                for p in pending {
                    let _ = p.reply.send(p.result);
                }
            }
            Err(failure) => {
                // A batch that failed to commit left the in-memory state
                // ahead of the store: rebuild it. One lost with its file
                // is in that (unlinked) file too, so a rebuild from it
                // would read it back; the hall takes no more changes, and
                // nothing of the batch was published.
                let rebuild = matches!(failure, Committed::Failed(_));
                let refusal = match failure {
                    Committed::Lost(fault) => {
                        self.fault(fault);
                        EngineError::Unavailable(fault)
                    }
                    Committed::Failed(e) => {
                        // The file's state explains more than SQLite's error.
                        let fault = self.store.verify_file().err().or_else(|| Fault::of(&e));
                        // The one line for this failure.
                        match fault {
                            Some(fault) => {
                                self.health.set_fault(fault);
                                tracing::error!(%fault, error = %e, "commit failed; no change of this batch took effect");
                                EngineError::Unavailable(fault)
                            }
                            None => {
                                tracing::error!(error = %e, "commit failed; no change of this batch took effect");
                                EngineError::Storage(e.to_string())
                            }
                        }
                    }
                };
                for p in pending {
                    let result = match p.result {
                        Err(rejected) => Err(rejected),
                        Ok(_) => Err(refusal.clone()),
                    };
                    let _ = p.reply.send(result);
                }
                if rebuild {
                    match restore(self.state.hall(), &self.store, now) {
                        Ok(state) => self.state = state,
                        Err(e) => {
                            tracing::error!(error = %e, "cannot restore the queue after a failed commit")
                        }
                    }
                }
            }
        }
    }

    /// Records a fault of the file; logs it once, when it is news.
    fn fault(&self, fault: Fault) {
        note_fault(&self.health, fault, &self.store.path().display());
    }

    /// Decides and writes `commands` in one transaction. Returns whether any
    /// queue changed (as `apply` reported it: no list of event kinds here).
    fn write(
        &mut self,
        commands: &mut Vec<(Command, oneshot::Sender<Result<Reply, EngineError>>)>,
        now: Millis,
        pending: &mut Vec<Pending>,
        published: &mut Vec<Published>,
    ) -> Result<bool, Committed> {
        let mut queues_changed = false;
        let mut batch = match self.store.batch() {
            Ok(b) => b,
            Err(e) => {
                pending.extend(commands.drain(..).map(|(_, reply)| Pending {
                    reply,
                    result: Ok(empty_reply()),
                }));
                return Err(Committed::Failed(e));
            }
        };
        let mut failure = None;
        for (cmd, reply) in commands.drain(..) {
            if failure.is_some() {
                pending.push(Pending {
                    reply,
                    result: Ok(empty_reply()),
                });
                continue;
            }
            let decision = match self.state.decide(&cmd, now) {
                Ok(d) => d,
                Err(rejection) => {
                    pending.push(Pending {
                        reply,
                        result: Err(rejection.into()),
                    });
                    continue;
                }
            };
            for event in decision.events {
                match record(&mut self.state, &mut batch, event, now, published) {
                    Ok(changed) => queues_changed |= changed,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            let ticket = decision
                .subject
                .and_then(|id| TicketView::of(&self.state, id));
            pending.push(Pending {
                reply,
                result: Ok(Reply {
                    seq: self.state.last_seq(),
                    ticket,
                }),
            });
        }
        // Remote tickets held past their time lapse (decided on the time of
        // this batch; a periodic `Command::Tick` makes a batch when nothing
        // else happens).
        if failure.is_none() {
            for event in self.state.remote_due(now) {
                match record(&mut self.state, &mut batch, event, now, published) {
                    Ok(changed) => queues_changed |= changed,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        // Messages the batch made due go into the outbox in the same
        // transaction: a crash cannot lose one, nor record one twice.
        if failure.is_none() {
            for event in self.state.notifications_due() {
                match record(&mut self.state, &mut batch, event, now, published) {
                    Ok(changed) => queues_changed |= changed,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        // Tomorrow's self-booked appointments not yet reminded: the
        // reminder goes out in this transaction, marked sent by an event.
        if failure.is_none() {
            let tomorrow = self.state.day().tomorrow().ok();
            let due = tomorrow.map_or(Ok(vec![]), |d| batch.reminders_due(d));
            match due {
                Ok(due) => {
                    'reminders: for r in due {
                        for event in self.state.reminder_events(&r) {
                            if let Err(e) =
                                record(&mut self.state, &mut batch, event, now, published)
                            {
                                failure = Some(e);
                                break 'reminders;
                            }
                        }
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        match failure {
            Some(e) => Err(Committed::Failed(e)),
            None => batch
                .commit()
                .map(|()| queues_changed)
                .map_err(Committed::Failed),
        }
    }
}

/// Records `fault` in `health`, with one log line when it is news; `detail`
/// (the file, SQLite's error) goes to the log only.
fn note_fault(health: &Health, fault: Fault, detail: &dyn std::fmt::Display) {
    if health.set_fault(fault) {
        tracing::error!(%fault, %detail, "{}", fault.message());
    }
}

/// Why a batch's changes are not saved.
enum Committed {
    /// The transaction failed; nothing of it is in the database.
    Failed(StoreError),
    /// It committed, but to a file the database's path no longer names.
    Lost(Fault),
}

/// Applies one decided event to the state and writes it, with the
/// projection rows it changed, into `batch`; returns whether a queue
/// changed. Every event of a batch takes this one path.
fn record(
    state: &mut HallState,
    batch: &mut Batch<'_>,
    event: Event,
    now: Millis,
    published: &mut Vec<Published>,
) -> Result<bool, StoreError> {
    let rec = Recorded {
        seq: state.last_seq() + 1,
        at: now,
        event,
    };
    // Decided on this very state, so a failure is a bug: refuse the batch
    // rather than record something inconsistent.
    let changes = state
        .apply(&rec)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    batch.record(&rec, state.day(), &changes, state)?;
    published.push(Published::event(state, rec));
    Ok(changes.queues_changed())
}

fn empty_reply() -> Reply {
    Reply {
        seq: 0,
        ticket: None,
    }
}

#[cfg(test)]
mod tests;

//! The websocket streams: `/ws/display` (read-only, public), `/ws/staff`
//! (read-only, after authenticating with any staff token) and `/ws/counter`
//! (the staff stream plus commands, after authenticating for a counter).
//!
//! One task per socket. It forwards hub frames in order, coalescing whatever
//! is queued into one write; a socket that falls behind the broadcast buffer
//! gets a fresh snapshot instead of being dropped, and a display that
//! reconnects with `?since=SEQ` gets exactly the frames it missed. Frames
//! for staff only (a rating's comment) never reach `/ws/display`.
//!
//! An authenticated socket lives only as long as its token: the token is
//! looked up again before each command and every [`RECHECK`], and a revoked
//! one closes the socket with 1008 `token revoked`.
//!
//! Every write is bounded by `ws_send_timeout` and by the shutdown signal
//! ([`Out`]): a display that reads slowly is never dropped, but one that has
//! read nothing for the timeout (a phone asleep on the Wi-Fi) is, and a
//! client that never reads cannot hold up shutdown. The outgoing buffer is
//! bounded too: tungstenite buffers up to `SOCKET_BUFFER` plus the one frame
//! being written, then the write waits for the client.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use qcall_core::Command;
use qcall_store::{Credential, Role};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::api::counters::{
    ActionBody, counter_action, counter_command_for, notice_after_suspend, suspended_for,
};
use crate::auth::authorize_counter;
use crate::error::ApiError;
use crate::hub::{Audience, Frame, Resume};
use crate::wire;
use crate::{AppState, ClientIp};

/// Small buffers: a hall may have a thousand idle displays and phones.
const SOCKET_BUFFER: usize = 4 * 1024;
/// Frames sent in one write when a socket has a backlog.
const COALESCE: usize = 64;
/// How long a counter socket may take to authenticate.
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the 1001 close frame may take at shutdown.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// How often an authenticated socket looks its token up again.
///
/// A poll rather than a revocation notice: `qcall token revoke` writes the
/// database directly, from another process, while the daemon runs, so there
/// is nobody to send the daemon a notice (SQLite's update hooks see only
/// their own connection's writes). One indexed SELECT per staff socket
/// every two seconds is nothing next to the engine's work, and the same
/// lookup as a request's means a socket and a request agree on what is
/// revoked. Commands do not wait for the tick: each checks first.
const RECHECK: Duration = Duration::from_secs(2);
/// The close reason of a socket whose token was revoked.
const REVOKED: &str = "token revoked; ask the supervisor for a new one";

#[derive(Debug, Deserialize)]
pub struct Since {
    since: Option<u64>,
}

fn upgrade(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .max_message_size(64 * 1024)
}

pub async fn display(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Query(q): Query<Since>,
) -> Response {
    upgrade(ws).on_upgrade(move |socket| async move {
        let gauge = Gauge::up(state.metrics.clone(), |m| &m.display_clients);
        let (sink, stream) = socket.split();
        let sink = Out::new(sink, &state, client);
        Session {
            state,
            sink,
            credential: None,
            token: None,
        }
        .run(stream, q.since)
        .await;
        drop(gauge);
    })
}

/// `/ws/staff`: the display stream plus staff-only frames (rating alerts
/// with their comments), for any staff token; read-only. The supervisor's
/// `/admin` page follows the hall on it.
pub async fn staff(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Query(q): Query<Since>,
) -> Response {
    upgrade(ws).on_upgrade(move |socket| async move {
        let gauge = Gauge::up(state.metrics.clone(), |m| &m.display_clients);
        let (sink, mut stream) = socket.split();
        let mut sink = Out::new(sink, &state, client);
        let Some(first) = first_auth(&state, &mut sink, &mut stream).await else {
            return;
        };
        let FirstAuth {
            credential, hash, ..
        } = first;
        if !matches!(
            credential.role,
            Role::Supervisor | Role::Guide | Role::Counter
        ) {
            let reason = format!(
                "the staff stream needs a supervisor, guide or counter token, not a {} token",
                credential.role.as_str()
            );
            close(&mut sink, &reason).await;
            return;
        }
        let ok = json!({"type": "auth_ok", "role": credential.role.as_str(), "subject": credential.subject});
        if sink
            .send(Message::Text(ok.to_string().into()))
            .await
            .is_err()
        {
            return;
        }
        Session {
            state,
            sink,
            credential: None,
            token: Some(hash),
        }
        .run(stream, q.since)
        .await;
        drop(gauge);
    })
}

pub async fn counter(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Query(q): Query<Since>,
) -> Response {
    upgrade(ws).on_upgrade(move |socket| async move {
        let gauge = Gauge::up(state.metrics.clone(), |m| &m.counter_clients);
        let (sink, mut stream) = socket.split();
        let mut sink = Out::new(sink, &state, client);
        let Some((credential, hash)) = authenticate(&state, &mut sink, &mut stream).await else {
            return;
        };
        Session {
            state,
            sink,
            credential: Some(credential),
            token: Some(hash),
        }
        .run(stream, q.since)
        .await;
        drop(gauge);
    })
}

type Sink = SplitSink<WebSocket, Message>;
type Stream = futures_util::stream::SplitStream<WebSocket>;

/// The socket was closed, the client stopped reading, or the daemon is
/// shutting down: the session ends.
#[derive(Debug)]
struct Gone;

/// The sending half of a socket, every write bounded by the send timeout
/// and cut short by shutdown.
struct Out {
    sink: Sink,
    timeout: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
    /// The client's address, for the log.
    client: IpAddr,
}

impl Out {
    fn new(sink: Sink, state: &AppState, client: IpAddr) -> Out {
        Out {
            sink,
            timeout: state.ws_send_timeout,
            stop: state.stop.clone(),
            client,
        }
    }

    async fn bounded<F>(&mut self, op: F) -> Result<(), Gone>
    where
        F: AsyncFnOnce(&mut Sink) -> Result<(), axum::Error>,
    {
        let mut stop = self.stop.clone();
        let write = tokio::time::timeout(self.timeout, op(&mut self.sink));
        tokio::select! {
            r = write => match r {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(Gone),
                Err(_) => {
                    tracing::warn!(
                        client = %self.client,
                        "dropping a websocket client that read nothing for {} s",
                        self.timeout.as_secs()
                    );
                    Err(Gone)
                }
            },
            _ = stop.wait_for(|s| *s) => Err(Gone),
        }
    }

    async fn feed(&mut self, msg: Message) -> Result<(), Gone> {
        self.bounded(async |s| s.feed(msg).await).await
    }

    async fn flush(&mut self) -> Result<(), Gone> {
        self.bounded(async |s| s.flush().await).await
    }

    async fn send(&mut self, msg: Message) -> Result<(), Gone> {
        self.bounded(async |s| s.send(msg).await).await
    }

    /// Closes with `code`, waiting at most [`CLOSE_TIMEOUT`]: this also runs
    /// at shutdown, when the client may never read again.
    async fn close(&mut self, code: u16, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.to_owned()),
        };
        let send = self.sink.send(Message::Close(Some(frame)));
        let _ = tokio::time::timeout(CLOSE_TIMEOUT.min(self.timeout), send).await;
    }
}

/// Counts a connected socket in a gauge for as long as it lives.
struct Gauge {
    metrics: Arc<crate::metrics::Metrics>,
    pick: fn(&crate::metrics::Metrics) -> &AtomicI64,
}

impl Gauge {
    fn up(
        metrics: Arc<crate::metrics::Metrics>,
        pick: fn(&crate::metrics::Metrics) -> &AtomicI64,
    ) -> Gauge {
        pick(&metrics).fetch_add(1, Ordering::Relaxed);
        Gauge { metrics, pick }
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        (self.pick)(&self.metrics).fetch_sub(1, Ordering::Relaxed);
    }
}

async fn close(sink: &mut Out, reason: &str) {
    sink.close(close_code::POLICY, reason).await;
}

/// A socket's first frame, authenticated.
struct FirstAuth {
    /// The frame itself (it may name a counter).
    msg: Value,
    credential: Credential,
    /// The token's hash, kept to look it up again while the socket lives.
    hash: String,
}

/// The first frame must be `{"type":"auth","token":"..."}`. Anything else,
/// or a token that is unknown or revoked, closes the socket with a reason
/// saying what was expected.
async fn first_auth(state: &AppState, sink: &mut Out, stream: &mut Stream) -> Option<FirstAuth> {
    let first = tokio::time::timeout(AUTH_TIMEOUT, stream.next()).await;
    let text = match first {
        Ok(Some(Ok(Message::Text(t)))) => t,
        Ok(Some(Ok(_))) => {
            close(
                sink,
                "the first frame must be text: {\"type\":\"auth\",\"token\":\"...\"}",
            )
            .await;
            return None;
        }
        Ok(_) => return None,
        Err(_) => {
            close(
                sink,
                "no auth frame within 10 s; send {\"type\":\"auth\",\"token\":\"...\"} first",
            )
            .await;
            return None;
        }
    };
    let msg: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let token = msg.get("token").and_then(Value::as_str);
    if msg.get("type").and_then(Value::as_str) != Some("auth") || token.is_none() {
        close(
            sink,
            "the first frame must be {\"type\":\"auth\",\"token\":\"...\"}",
        )
        .await;
        return None;
    }
    let hash = qcall_store::token_hash(token.unwrap_or_default());
    let credential = match state.auth.check_hash(&hash) {
        Ok(Some(c)) => c,
        Ok(None) => {
            close(
                sink,
                "invalid or revoked token; ask the supervisor for a new one",
            )
            .await;
            return None;
        }
        Err(_) => {
            close(sink, "cannot check the token right now; try again").await;
            return None;
        }
    };
    Some(FirstAuth {
        msg,
        credential,
        hash,
    })
}

/// Authenticates a counter socket: the first frame is
/// `{"type":"auth","token":"...","counter":"3"}` (`counter` optional for a
/// counter token). Returns the credential acting for that counter and the
/// token's hash. A clerk's own token signs the clerk in only once the
/// socket is authorised for the counter: a refused socket records nothing.
async fn authenticate(
    state: &AppState,
    sink: &mut Out,
    stream: &mut Stream,
) -> Option<(Credential, String)> {
    let FirstAuth {
        msg,
        credential,
        hash,
    } = first_auth(state, sink, stream).await?;
    let counter = msg
        .get("counter")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or(credential.subject.clone());
    if state.engine.hall().counter(&counter).is_none() {
        close(sink, &format!("there is no counter `{counter}`")).await;
        return None;
    }
    if let Err(e) = authorize_counter(&credential, &counter) {
        close(sink, &e.message).await;
        return None;
    }
    // A clerk's own token: they work at this counter now.
    if let Some(staff) = credential.staff.clone() {
        let sign_in = Command::Counter {
            counter: counter.clone(),
            action: qcall_core::CounterAction::SignIn { staff },
        };
        if let Err(e) = state.engine.execute(sign_in).await {
            close(sink, &ApiError::from(e).message).await;
            return None;
        }
    }
    // Who, never with what: the token stays out of the log.
    tracing::debug!(%counter, role = credential.role.as_str(), client = %sink.client, "counter socket authenticated");
    let ok = json!({"type": "auth_ok", "counter": counter, "role": credential.role.as_str()});
    if sink
        .send(Message::Text(ok.to_string().into()))
        .await
        .is_err()
    {
        return None;
    }
    let credential = Credential {
        role: credential.role,
        subject: counter,
        staff: credential.staff,
        account: credential.account,
    };
    Some((credential, hash))
}

/// What a fresh look at a socket's token found.
enum TokenCheck {
    /// Still valid (or the socket has none: `/ws/display`).
    Live,
    /// Revoked (or gone from the table): the socket must close.
    Revoked,
    /// The lookup failed (storage trouble): decide on the next look.
    Unknown,
}

struct Session {
    state: AppState,
    sink: Out,
    /// `Some` on `/ws/counter`: the counter this socket acts for.
    credential: Option<Credential>,
    /// `Some` on authenticated streams: the hash of the token shown, looked
    /// up again while the socket lives. Staff frames go only to these.
    token: Option<String>,
}

impl Session {
    async fn run(mut self, stream: Stream, since: Option<u64>) {
        self.serve(stream, since).await;
        // However the session ended (waiting, or cut short in a write),
        // at shutdown the client is told the server is going away.
        if *self.state.stop.borrow() {
            self.sink
                .close(close_code::AWAY, "server shutting down")
                .await;
        }
    }

    async fn serve(&mut self, mut stream: Stream, since: Option<u64>) {
        let (mut rx, resume) = self.state.hub.subscribe(since);
        // Frames at or below this position were already covered.
        let mut covered_idx = 0u64;
        let mut covered_seq = 0u64;
        match resume {
            Resume::Frames(frames) => {
                for f in frames {
                    covered_idx = f.idx;
                    if !self.may_see(&f) {
                        continue;
                    }
                    if self.sink.feed(Message::Text(f.text)).await.is_err() {
                        return;
                    }
                }
                if self.sink.flush().await.is_err() {
                    return;
                }
            }
            Resume::Snapshot => match self.snapshot().await {
                Some(seq) => covered_seq = seq,
                None => return,
            },
        }
        let mut stop = self.state.stop.clone();
        let mut recheck = tokio::time::interval(RECHECK);
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = recheck.tick(), if self.token.is_some() => {
                    if matches!(self.check_token(), TokenCheck::Revoked) {
                        close(&mut self.sink, REVOKED).await;
                        return;
                    }
                }
                _ = async { let _ = stop.wait_for(|s| *s).await; } => return,
                frame = rx.recv() => match frame {
                    Ok(first) => {
                        let mut batch = vec![first];
                        while batch.len() < COALESCE {
                            match rx.try_recv() {
                                Ok(f) => batch.push(f),
                                Err(TryRecvError::Lagged(_)) => {
                                    // Handled by the next recv().
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        if !self.forward(batch, &mut covered_idx, &mut covered_seq).await {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        self.state.metrics.lag_resyncs.fetch_add(1, Ordering::Relaxed);
                        match self.snapshot().await {
                            Some(seq) => covered_seq = seq,
                            None => return,
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                msg = stream.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if !self.on_text(&text).await {
                            return;
                        }
                    }
                    Some(Ok(Message::Close(_))) => {
                        // Answer the client's Close (RFC 6455 §5.5.1) so it
                        // sees a clean close, not 1006: tungstenite queued
                        // the echo when it read the frame; flushing sends it.
                        let _ = self.sink.flush().await;
                        return;
                    }
                    None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// Sends the frames not yet covered; false when the socket is gone.
    async fn forward(
        &mut self,
        batch: Vec<Frame>,
        covered_idx: &mut u64,
        covered_seq: &mut u64,
    ) -> bool {
        let mut sent = false;
        for f in batch {
            // Skip what a replay or snapshot already covered. A snapshot
            // covers events up to its seq, never notices (which carry the
            // seq of the last event): those always go out.
            if f.idx <= *covered_idx || (!f.notice && f.seq <= *covered_seq) {
                continue;
            }
            *covered_idx = f.idx;
            if !self.may_see(&f) {
                continue;
            }
            if self.sink.feed(Message::Text(f.text)).await.is_err() {
                return false;
            }
            sent = true;
            // A new business day: the screen starts from the new day's
            // snapshot (yesterday's calls and counts are gone).
            if f.resync {
                if self.sink.flush().await.is_err() {
                    return false;
                }
                sent = false;
                match self.snapshot().await {
                    Some(seq) => *covered_seq = (*covered_seq).max(seq),
                    None => return false,
                }
            }
        }
        !sent || self.sink.flush().await.is_ok()
    }

    /// Whether this socket may receive `f`: staff frames only on
    /// authenticated streams.
    fn may_see(&self, f: &Frame) -> bool {
        f.audience == Audience::Everyone || self.token.is_some()
    }

    /// Looks the socket's token up again.
    fn check_token(&self) -> TokenCheck {
        let Some(hash) = &self.token else {
            return TokenCheck::Live;
        };
        match self.state.auth.check_hash(hash) {
            Ok(Some(_)) => TokenCheck::Live,
            Ok(None) => TokenCheck::Revoked,
            Err(_) => TokenCheck::Unknown,
        }
    }

    /// Sends a fresh snapshot; returns its seq.
    async fn snapshot(&mut self) -> Option<u64> {
        let snap = self.state.engine.snapshot().await.ok()?;
        // Device health is read after subscribing (as the snapshot is), so
        // a change after this read arrives as its own notice.
        let devices = crate::devices::health(&self.state);
        let text = wire::snapshot_frame(
            &self.state.engine.hall(),
            &self.state.site.get(),
            &snap,
            devices,
        );
        self.state
            .metrics
            .snapshots_sent
            .fetch_add(1, Ordering::Relaxed);
        self.sink.send(Message::Text(text.into())).await.ok()?;
        Some(snap.seq)
    }

    async fn reply(&mut self, value: Value) -> bool {
        self.sink
            .send(Message::Text(value.to_string().into()))
            .await
            .is_ok()
    }

    /// Handles a client frame; false to end the session.
    async fn on_text(&mut self, text: &str) -> bool {
        let msg: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let err = ApiError::bad_request(format!(
                    "frames must be JSON objects with a `type`: {e}"
                ));
                return self.reply(with_type("error", err.body(), None)).await;
            }
        };
        let kind = msg
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let id = msg.get("id").cloned();
        if kind == "ping" {
            return self.reply(json!({"type": "pong", "id": id})).await;
        }
        let Some(credential) = self.credential.clone() else {
            let err = ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "read_only",
                "/ws/display and /ws/staff are read-only; counters send commands on /ws/counter after authenticating",
            );
            return self.reply(with_type("error", err.body(), id)).await;
        };
        // A command acts with the token as it is now, not as it was at
        // sign-in: a revoked token's command is refused and its socket closed.
        match self.check_token() {
            TokenCheck::Live => {
                // A command is a use: a session's idle time starts again.
                if let Some(hash) = &self.token {
                    self.state.auth.touch(hash, &credential);
                }
            }
            TokenCheck::Revoked => {
                let err = ApiError::unauthorized(REVOKED);
                let _ = self.reply(with_type("error", err.body(), id)).await;
                close(&mut self.sink, REVOKED).await;
                return false;
            }
            TokenCheck::Unknown => {
                let err = ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "cannot check the token right now; try again",
                );
                return self.reply(with_type("error", err.body(), id)).await;
            }
        }
        let body =
            ActionBody::deserialize(msg.get("args").cloned().unwrap_or(json!({}))).map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    format!("bad `args`: {e}"),
                )
            });
        let note = body.as_ref().ok().and_then(|b| b.note.clone());
        let result = match body.and_then(|b| counter_action(&kind, b, &credential)) {
            Ok(action) => {
                let suspended = suspended_for(&action);
                // Each command signs its clerk in too: another clerk may have
                // signed in at this counter since this socket did.
                let cmd =
                    counter_command_for(&credential.subject, credential.staff.clone(), action);
                match self.state.engine.execute(cmd).await {
                    Ok(reply) => {
                        let print = notice_after_suspend(
                            &self.state,
                            &credential.subject,
                            &credential.subject,
                            suspended,
                            note,
                            reply.ticket.as_ref(),
                        )
                        .await;
                        Ok((reply, print))
                    }
                    Err(e) => Err(ApiError::from(e)),
                }
            }
            Err(e) => Err(e),
        };
        let value = match result {
            Ok((reply, print)) => {
                let ticket = reply.ticket.map(|t| {
                    wire::ticket_for(
                        wire::Viewer::Staff,
                        &self.state.engine.hall(),
                        &self.state.site.get().public_url,
                        &t,
                    )
                });
                json!({"type": "result", "id": id, "command": kind, "ok": true, "seq": reply.seq, "ticket": ticket, "notice_print": print})
            }
            Err(e) => with_type("error", e.body(), id),
        };
        self.reply(value).await
    }
}

fn with_type(kind: &str, mut body: Value, id: Option<Value>) -> Value {
    body["type"] = json!(kind);
    body["id"] = id.unwrap_or(Value::Null);
    body
}

//! Delivers the outbox to the hall's SMS gateway (a webhook).
//!
//! The messages themselves are decided by the core and written to the
//! outbox in the transaction of the event that made them due. This task only
//! reads what is undelivered, POSTs each as JSON, and records a delivery as
//! an event once the gateway answers 2xx, so a restart resumes where it
//! stopped. Delivery is **at least once**: a gateway that took a message but
//! whose answer never arrived (a `kill -9`, a cut cable, a timeout) gets it
//! again after the restart or the retry. Each request therefore carries an
//! idempotency key, the outbox row id, both as the `Idempotency-Key` header
//! and as `idempotency_key` in the body, and a gateway that drops a key it
//! has seen sends each text once. A gateway that is down is retried with
//! backoff (doubling from `retry_ms` up to a minute). Phone numbers appear
//! in logs only masked.
//!
//! `http://` and `https://` webhooks both work; HTTPS is rustls with
//! Mozilla's roots plus, for a hall's own gateway with a private CA, the
//! certificates of `[notify] ca_file`.
//!
//! The same mechanism ([`Gateway`] and [`deliver`]: read what is pending,
//! POST each with its key, retry with backoff, record the delivery as an
//! event) also uploads ratings to the 好差评 platform (`crate::upload`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use qcall_core::Command;
use qcall_core::state::{Placeholder, mask_phone};
use qcall_engine::EngineHandle;
use qcall_store::{Outgoing, TicketKeys};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// Connecting, the TLS handshake and the whole exchange each get this long;
/// a gateway slower than that has failed this attempt (and may still have
/// taken the message: the key makes the retry harmless).
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The hall's gateway: where it is and how to reach it.
#[derive(Clone)]
pub struct Gateway {
    /// `host:port` to connect to.
    addr: String,
    /// The Host header.
    authority: String,
    /// Path and query of the POST.
    path: String,
    /// `Some` for `https://`: the TLS client and the name to verify.
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("addr", &self.addr)
            .field("path", &self.path)
            .field("https", &self.tls.is_some())
            .finish()
    }
}

impl Gateway {
    /// Checks the webhook URL (and reads `ca_file`) at start-up, so a
    /// mistake stops the daemon with a message instead of failing each text.
    pub fn new(url: &str, ca_file: Option<&Path>) -> anyhow::Result<Gateway> {
        Gateway::for_key("[notify] webhook", "[notify]", url, ca_file)
    }

    /// The same for the URL of config key `key` (`[rating] upload_url`),
    /// whose section `section` holds its `ca_file`.
    pub fn for_key(
        key: &str,
        section: &str,
        url: &str,
        ca_file: Option<&Path>,
    ) -> anyhow::Result<Gateway> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("{key} = {url:?} must start with http:// or https://");
        }
        let uri: Uri = url.parse().map_err(|_| {
            anyhow::anyhow!("{key} = {url:?} is not a URL like https://gw.example.gov.cn/send")
        })?;
        // http or https: the prefix was checked above.
        let https = uri.scheme_str() == Some("https");
        let Some(authority) = uri.authority().map(|a| a.as_str().to_owned()) else {
            bail!("[notify] webhook = {url:?} names no host");
        };
        if authority.contains('@') {
            bail!("[notify] webhook = {url:?}: put no user or password in the URL");
        }
        let host = uri.host().unwrap_or_default();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        // `[::1]` connects as `[::1]:port` but is verified as the bare address.
        let bare = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let path = uri
            .path_and_query()
            .map_or("/".to_owned(), |p| p.as_str().to_owned());
        let tls = if https {
            let name = ServerName::try_from(bare)
                .map_err(|_| anyhow::anyhow!("{key} = {url:?}: bad host name"))?;
            Some((connector(section, ca_file)?, name))
        } else {
            if ca_file.is_some() {
                let noun = key.rsplit(' ').next().unwrap_or(key);
                bail!(
                    "{section} ca_file is set but the {noun} is http://; use https:// or leave ca_file empty"
                );
            }
            None
        };
        Ok(Gateway {
            addr: format!("{host}:{port}"),
            authority,
            path,
            tls,
        })
    }

    /// POSTs `body` with `key` as its idempotency key; the gateway's status.
    async fn post(&self, body: &serde_json::Value, key: &str) -> anyhow::Result<StatusCode> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(&self.path)
            .header(hyper::header::HOST, &self.authority)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Full::new(Bytes::from(body.to_string())))?;
        let attempt = async {
            let tcp = TcpStream::connect(&self.addr)
                .await
                .with_context(|| format!("cannot connect to the gateway at {}", self.addr))?;
            tcp.set_nodelay(true)?;
            match &self.tls {
                None => exchange(tcp, request).await,
                Some((tls, name)) => {
                    let stream = tls
                        .connect(name.clone(), tcp)
                        .await
                        .context("the gateway's TLS handshake failed")?;
                    exchange(stream, request).await
                }
            }
        };
        tokio::time::timeout(EXCHANGE_TIMEOUT, attempt)
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "the gateway did not answer within {} s",
                    EXCHANGE_TIMEOUT.as_secs()
                )
            })?
    }
}

/// One request on a fresh connection; the status once the answer is read.
async fn exchange<S>(io: S, request: Request<Full<Bytes>>) -> anyhow::Result<StatusCode>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let resp = sender
        .send_request(request)
        .await
        .context("the gateway did not answer")?;
    let status = resp.status();
    // Read (and drop) the body so the answer is complete.
    let _ = resp.into_body().collect().await;
    Ok(status)
}

/// A TLS client trusting Mozilla's roots and the certificates in `ca_file`.
fn connector(section: &str, ca_file: Option<&Path>) -> anyhow::Result<tokio_rustls::TlsConnector> {
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let what = || format!("{section} ca_file = {:?}", path.display().to_string());
        let certs = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("{}: cannot read it as PEM", what()))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{}: not valid PEM", what()))?;
        if certs.is_empty() {
            bail!(
                "{}: holds no CERTIFICATE block; give the gateway's CA certificate in PEM",
                what()
            );
        }
        for cert in certs {
            roots.add(cert).with_context(|| {
                format!("{}: a certificate that cannot be a trust anchor", what())
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The JSON a gateway receives for one message. A message's secrets (a
/// code, a ticket's key in a link under `base`) are completed here, from
/// the hall secret: the outbox holds only their placeholders, so no code
/// or key is in a table or a log.
fn payload(
    m: &Outgoing,
    hall: &qcall_core::Text,
    keys: &TicketKeys,
    base: &str,
) -> serde_json::Value {
    let message = qcall_core::state::fill_placeholders(&m.message, |p| match p {
        Placeholder::Code(request) => keys.remote_code(request),
        Placeholder::Link(id, what) => format!("{}&{}", keys.status_url(base, *id), what.query()),
    });
    json!({
        "id": m.id,
        "idempotency_key": key(m),
        "ticket": m.ticket.0,
        "kind": m.kind,
        "phone": m.phone,
        "message": message,
        "hall": { "zh": hall.zh, "en": hall.en },
    })
}

/// A message's idempotency key: its outbox id, which a retry keeps
/// ([`deliver`] sends the same as the header).
fn key(m: &Outgoing) -> String {
    m.id.to_string()
}

/// Sends the SMS outbox until `stop` turns true; links in messages start
/// with `base` (`[hall] public_url`).
pub async fn run(
    engine: EngineHandle,
    keys: TicketKeys,
    base: String,
    gateway: Gateway,
    retry: Duration,
    stop: watch::Receiver<bool>,
) {
    // The hall's name in force at each message (a reload may change it).
    let hall = engine.live_hall();
    let outbox = Outbox {
        what: "message",
        pending: |store| store.undelivered(20),
        id: |m: &Outgoing| m.id,
        payload: Box::new(move |m| payload(m, &hall.get().name, &keys, &base)),
        // Phone numbers only masked.
        describe: |m| format!("{} to {}", m.kind, mask_phone(&m.phone)),
        delivered: |id| Command::Delivered { id },
    };
    deliver(engine, gateway, retry, stop, outbox).await;
}

/// One outbox as [`deliver`] sends it: how to read what is pending, what
/// each item's key and body are, and the command that records a delivery.
pub struct Outbox<T> {
    /// What an item is called in the log ("message", "rating upload").
    pub what: &'static str,
    /// The oldest undelivered items (a few at a time).
    pub pending: fn(&qcall_store::Store) -> Result<Vec<T>, qcall_store::StoreError>,
    /// The item's id: its idempotency key, which every retry keeps.
    pub id: fn(&T) -> u64,
    /// The JSON body for the item.
    pub payload: Box<dyn Fn(&T) -> serde_json::Value + Send>,
    /// The item in a log line, without personal data.
    pub describe: fn(&T) -> String,
    /// The command that records the item as delivered.
    pub delivered: fn(u64) -> Command,
}

impl<T> std::fmt::Debug for Outbox<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("what", &self.what).finish()
    }
}

/// Delivers `outbox` to `gateway` until `stop` turns true: at least once,
/// each item with its id as idempotency key, a failed one retried with
/// backoff (doubling from `retry` up to a minute), each delivery recorded
/// as an event so a restart resumes where it stopped.
pub async fn deliver<T: Send + 'static>(
    engine: EngineHandle,
    gateway: Gateway,
    retry: Duration,
    mut stop: watch::Receiver<bool>,
    outbox: Outbox<T>,
) {
    // Per item: failed attempts and when to try again.
    let mut backoff: HashMap<u64, (u32, Instant)> = HashMap::new();
    let poll = retry.min(Duration::from_secs(1));
    let what = outbox.what;
    loop {
        if *stop.borrow() {
            return;
        }
        let pending = outbox.pending;
        let pending = match engine.read(move |_, store| pending(store)).await {
            Ok(Ok(list)) => list,
            Ok(Err(e)) => {
                tracing::error!(error = %e, what, "cannot read the outbox");
                Vec::new()
            }
            Err(_) => return,
        };
        for item in pending {
            let id = (outbox.id)(&item);
            if backoff.get(&id).is_some_and(|(_, at)| Instant::now() < *at) {
                continue;
            }
            let sent = gateway
                .post(&(outbox.payload)(&item), &id.to_string())
                .await
                .map(|status| status.is_success());
            let item_text = (outbox.describe)(&item);
            match sent {
                Ok(true) => {
                    backoff.remove(&id);
                    tracing::info!(id, what, item = %item_text, "delivered");
                    if engine.execute((outbox.delivered)(id)).await.is_err() {
                        return;
                    }
                }
                failed => {
                    let attempts = backoff.get(&id).map_or(0, |(n, _)| *n) + 1;
                    let wait =
                        (retry * 2u32.saturating_pow(attempts - 1)).min(Duration::from_secs(60));
                    backoff.insert(id, (attempts, Instant::now() + wait));
                    let why = match failed {
                        Ok(_) => "the gateway refused it".to_owned(),
                        Err(e) => format!("{e:#}"),
                    };
                    tracing::warn!(id, what, item = %item_text, attempts, retry_in = ?wait, %why, "not delivered");
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = async { let _ = stop.wait_for(|s| *s).await; } => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls() {
        let check = |url: &str, expect: (&str, &str, &str, bool)| {
            let g = Gateway::new(url, None).unwrap();
            assert_eq!(
                (
                    g.addr.as_str(),
                    g.authority.as_str(),
                    g.path.as_str(),
                    g.tls.is_some()
                ),
                expect,
                "{url}"
            );
        };
        check(
            "http://10.0.0.9:8088/sms/send",
            ("10.0.0.9:8088", "10.0.0.9:8088", "/sms/send", false),
        );
        check("http://gw:80", ("gw:80", "gw:80", "/", false));
        check(
            "https://sms.example.gov.cn/send?v=2",
            (
                "sms.example.gov.cn:443",
                "sms.example.gov.cn",
                "/send?v=2",
                true,
            ),
        );
        check(
            "https://[::1]:8443/sms",
            ("[::1]:8443", "[::1]:8443", "/sms", true),
        );
        let refused = |url: &str, ca: Option<&Path>, expect: &str| {
            let err = format!("{:#}", Gateway::new(url, ca).unwrap_err());
            assert!(err.contains(expect), "{url}: {expect:?} not in {err:?}");
        };
        refused("ftp://gw/sms", None, "must start with http:// or https://");
        refused("gw:80/sms", None, "must start with http://");
        refused("https://user:pw@gw/sms", None, "no user or password");
        refused(
            "http://gw/sms",
            Some(Path::new("/x.pem")),
            "ca_file is set but the webhook is http://",
        );
        refused(
            "https://gw/sms",
            Some(Path::new("/nonexistent/ca.pem")),
            "[notify] ca_file",
        );
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "not a certificate\n").unwrap();
        let err = format!(
            "{:#}",
            Gateway::new("https://gw/sms", Some(file.path())).unwrap_err()
        );
        assert!(err.contains("holds no CERTIFICATE block"), "{err}");
    }

    /// The body's key (the e2e tests read the header at a real gateway).
    #[test]
    fn the_body_carries_the_outbox_id_as_its_key() {
        let m = Outgoing {
            id: 42,
            ticket: qcall_core::TicketId(7),
            kind: "called".into(),
            phone: "13812345678".into(),
            message: "请到1号窗口".into(),
        };
        let keys = TicketKeys::new([0; 32]);
        let body = payload(
            &m,
            &qcall_core::Text::new("厅", "Hall"),
            &keys,
            "http://hall",
        );
        assert_eq!(key(&m), "42");
        assert_eq!(body["idempotency_key"], "42");
        assert_eq!(body["id"], 42);
        assert_eq!(body["message"], "请到1号窗口");
    }

    /// A code message leaves the outbox as a placeholder and reaches the
    /// gateway with the code the request's keyed hash gives.
    #[test]
    fn a_code_message_is_completed_from_the_hall_secret() {
        let keys = TicketKeys::new([0; 32]);
        let request = "req-0123456789abcdef";
        let m = Outgoing {
            id: 43,
            ticket: qcall_core::state::NO_TICKET,
            kind: qcall_core::state::CODE_KIND.into(),
            phone: "13812345678".into(),
            message: format!(
                "验证码：{}，5 分钟内有效。",
                qcall_core::state::code_placeholder(request)
            ),
        };
        assert!(!m.message.contains("775231"));
        let body = payload(
            &m,
            &qcall_core::Text::new("厅", "Hall"),
            &keys,
            "http://hall",
        );
        // The vector of qcall-store's keys test, from Python.
        assert_eq!(body["message"], "验证码：775231，5 分钟内有效。");
    }

    /// A link message leaves the outbox without the ticket's key and
    /// reaches the gateway with it; braces that are no placeholder stay.
    #[test]
    fn a_link_message_is_completed_with_the_tickets_key() {
        let keys = TicketKeys::new([0; 32]);
        let m = Outgoing {
            id: 44,
            ticket: qcall_core::TicketId(1),
            kind: qcall_core::state::FIX_KIND.into(),
            phone: "13812345678".into(),
            message: format!(
                "{{note}} 评价：{}",
                Placeholder::Link(qcall_core::TicketId(1), qcall_core::state::LinkFor::Fix).text()
            ),
        };
        assert_eq!(m.message, "{note} 评价：{link:1:fix}");
        let body = payload(
            &m,
            &qcall_core::Text::new("厅", "Hall"),
            &keys,
            "http://hall",
        );
        // The key is the vector of qcall-store's keys test, from Python.
        assert_eq!(
            body["message"],
            "{note} 评价：http://hall/t/1?k=UckQKD3lpoRyDOA7gz52&fix=1"
        );
    }
}

//! Delivers the outbox to the hall's SMS gateway (a webhook).
//!
//! The messages themselves are decided by the core and written to the
//! outbox in the transaction of the event that made them due. This task only
//! reads what is undelivered, POSTs each as JSON, and records a delivery as
//! an event, so a restart resumes exactly where it stopped and nothing is
//! sent twice after the gateway said yes. A gateway that is down is retried
//! with backoff (doubling from `retry_ms` up to a minute). Phone numbers
//! appear in logs only masked.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hyper::Method;
use qcall_core::Command;
use qcall_core::state::mask_phone;
use qcall_engine::EngineHandle;
use serde_json::json;
use tokio::sync::watch;

use crate::client::Conn;

/// Splits `http://host:port/path` into the server and the path.
fn split(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("[notify] webhook must start with http://"))?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    Ok((format!("http://{authority}"), path))
}

/// Checks the webhook URL at start-up.
pub fn check(url: &str) -> anyhow::Result<()> {
    split(url).map(|_| ())
}

/// Runs until `stop` turns true.
pub async fn run(
    engine: EngineHandle,
    url: String,
    retry: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let Ok((server, path)) = split(&url) else {
        return;
    };
    let hall = engine.hall().name.clone();
    // Per message: failed attempts and when to try again.
    let mut backoff: HashMap<u64, (u32, Instant)> = HashMap::new();
    let poll = retry.min(Duration::from_secs(1));
    loop {
        if *stop.borrow() {
            return;
        }
        let pending = match engine.read(|_, store| store.undelivered(20)).await {
            Ok(Ok(list)) => list,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot read the outbox");
                Vec::new()
            }
            Err(_) => return,
        };
        for m in pending {
            if backoff
                .get(&m.id)
                .is_some_and(|(_, at)| Instant::now() < *at)
            {
                continue;
            }
            let body = json!({
                "id": m.id,
                "ticket": m.ticket.0,
                "kind": m.kind,
                "phone": m.phone,
                "message": m.message,
                "hall": { "zh": hall.zh, "en": hall.en },
            });
            let sent = match Conn::connect(&server).await {
                Ok(mut conn) => conn
                    .send(Method::POST, &path, None, Some(&body))
                    .await
                    .map(|r| r.status.is_success()),
                Err(e) => Err(e),
            };
            match sent {
                Ok(true) => {
                    backoff.remove(&m.id);
                    tracing::info!(id = m.id, kind = %m.kind, phone = %mask_phone(&m.phone), "message delivered");
                    if engine
                        .execute(Command::Delivered { id: m.id })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                failed => {
                    let attempts = backoff.get(&m.id).map_or(0, |(n, _)| *n) + 1;
                    let wait =
                        (retry * 2u32.saturating_pow(attempts - 1)).min(Duration::from_secs(60));
                    backoff.insert(m.id, (attempts, Instant::now() + wait));
                    let why = match failed {
                        Ok(_) => "the gateway refused it".to_owned(),
                        Err(e) => e.to_string(),
                    };
                    tracing::warn!(id = m.id, phone = %mask_phone(&m.phone), attempts, retry_in = ?wait, %why, "message not delivered");
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
        assert_eq!(
            split("http://10.0.0.9:8088/sms/send").unwrap(),
            ("http://10.0.0.9:8088".into(), "/sms/send".into())
        );
        assert_eq!(
            split("http://gw:80").unwrap(),
            ("http://gw:80".into(), "/".into())
        );
        assert!(split("https://gw/sms").is_err());
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }
}

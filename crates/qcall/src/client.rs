//! A small HTTP/1.1 client for talking to a qcall daemon: the CLI's
//! commands, `qcall bench` and the end-to-end tests.
//!
//! One [`Conn`] is one keep-alive connection; requests on it are sequential.
//! Plain `http://` only: a hall daemon serves its LAN, and TLS (if any) is
//! the job of a reverse proxy in front of it.

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// `http://host:port` → `host:port`.
pub fn authority(server: &str) -> anyhow::Result<String> {
    let rest = server.trim_end_matches('/');
    let Some(authority) = rest.strip_prefix("http://") else {
        bail!("the server URL {server:?} must start with http:// (e.g. http://127.0.0.1:8080)");
    };
    if authority.is_empty() || authority.contains('/') {
        bail!(
            "the server URL {server:?} must be just scheme, host and port (e.g. http://127.0.0.1:8080)"
        );
    }
    Ok(authority.to_owned())
}

/// A response: status and parsed JSON body (`Null` when empty or not JSON).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub body: Value,
    /// The response's headers (`Retry-After`, `Content-Type`, ...).
    pub headers: hyper::HeaderMap,
}

impl Response {
    /// The server's `error.message`, or the status when there is none.
    pub fn error_message(&self) -> String {
        self.body["error"]["message"]
            .as_str()
            .map_or_else(|| self.status.to_string(), str::to_owned)
    }
}

/// One keep-alive connection to a daemon.
#[derive(Debug)]
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
}

impl Conn {
    pub async fn connect(server: &str) -> anyhow::Result<Conn> {
        let authority = authority(server)?;
        let stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&authority))
            .await
            .with_context(|| format!("timed out connecting to {server}"))?
            .with_context(|| {
                format!("cannot connect to {server}; is `qcall serve` running there?")
            })?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender, authority })
    }

    /// Sends a request and reads the whole response.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Response> {
        let (status, headers, bytes) = self
            .exchange(
                method,
                path,
                token,
                body.map(|b| Bytes::from(b.to_string())),
            )
            .await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok(Response {
            status,
            body,
            headers,
        })
    }

    /// Sends raw bytes as a JSON body; returns status and raw body.
    pub async fn send_raw(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Bytes>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let (status, _, bytes) = self.exchange(method, path, token, body).await?;
        Ok((status, bytes))
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Bytes>,
    ) -> anyhow::Result<(StatusCode, hyper::HeaderMap, Bytes)> {
        self.sender
            .ready()
            .await
            .context("the connection to the server closed")?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.authority);
        if let Some(token) = token {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            req = req.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Full::new(body.unwrap_or_default()))?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .context("the server did not answer")?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, headers, bytes))
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<Response> {
        self.send(Method::GET, path, None, None).await
    }

    pub async fn post(
        &mut self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<Response> {
        self.send(Method::POST, path, token, Some(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert_eq!(
            authority("http://127.0.0.1:8080/").unwrap(),
            "127.0.0.1:8080"
        );
        assert!(
            authority("https://hall:443")
                .unwrap_err()
                .to_string()
                .contains("must start with http://")
        );
        assert!(authority("http://hall:8080/api").is_err());
    }
}

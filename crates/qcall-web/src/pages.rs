//! The hall's screens: `/kiosk`, `/counter`, `/display`, `/t/{id}`,
//! `/admin`, `/rate/{counter}`, `/window/{counter}`, `/r` (queueing from
//! home), and the files under `/static/` they load.
//!
//! The pages are plain HTML, CSS and ES modules in `assets/web/`, embedded
//! in the binary at compile time, so a hall needs no web server, CDN or font
//! download. This module only maps paths to embedded bytes with a content
//! type and cache headers; the pages get their data from the v1 API and the
//! websockets like any other client. It deliberately does no templating.

use std::sync::OnceLock;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use qcall_core::TicketId;

use crate::AppState;
use crate::error::ApiError;

/// One embedded file.
struct Asset {
    /// Name under `assets/web/` (and under `/static/` for non-HTML files).
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $mime:expr) => {
        Asset {
            name: $name,
            mime: $mime,
            body: include_bytes!(concat!("../../../assets/web/", $name)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the pages use. A file missing here is a 404, so adding one to
/// `assets/web/` means adding a line (the test below checks both ways).
const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("kiosk.html", HTML),
    asset!("counter.html", HTML),
    asset!("display.html", HTML),
    asset!("ticket.html", HTML),
    asset!("admin.html", HTML),
    asset!("rate.html", HTML),
    asset!("window.html", HTML),
    asset!("remote.html", HTML),
    asset!("qcall.css", CSS),
    asset!("common.js", JS),
    asset!("i18n.js", JS),
    asset!("kiosk.js", JS),
    asset!("counter.js", JS),
    asset!("display.js", JS),
    asset!("ticket.js", JS),
    asset!("admin.js", JS),
    asset!("rate.js", JS),
    asset!("window.js", JS),
    asset!("rating-form.js", JS),
    asset!("case.js", JS),
    asset!("ratings-admin.js", JS),
    asset!("rectify.js", JS),
    asset!("fix-rate.js", JS),
    asset!("remote.js", JS),
    asset!("icon.svg", "image/svg+xml"),
];

/// Same-origin only: no CDN, no inline script; websockets to this host.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn find(name: &str) -> Option<(usize, &'static Asset)> {
    ASSETS.iter().enumerate().find(|(_, a)| a.name == name)
}

/// A strong validator per file, computed once: FNV-1a of the bytes. Screens
/// revalidate on every load (`no-cache`) and get a 304 when nothing changed,
/// so an upgraded daemon is picked up without stale pages.
fn etag(index: usize) -> &'static str {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let hash = a.body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                });
                format!("\"{hash:016x}\"")
            })
            .collect()
    });
    &tags[index]
}

/// Whether an `If-None-Match` value matches `tag` (RFC 9110 §13.1.2): `*`
/// matches any current file, and the comparison is weak, so a `W/` tag
/// that a proxy or browser weakened still revalidates.
fn none_match(value: &str, tag: &str) -> bool {
    value
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag)
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    serve_as(name, headers, StatusCode::OK)
}

/// Serves an embedded file with `status`: a page answering for something
/// that does not exist still renders (and explains) with a 404.
fn serve_as(name: &str, headers: &HeaderMap, status: StatusCode) -> Response {
    let Some((index, asset)) = find(name) else {
        return ApiError::not_found("not_found", format!("there is no file `{name}`"))
            .into_response();
    };
    let tag = etag(index);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| none_match(v, tag));
    let mut response = if fresh && status == StatusCode::OK {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (status, [(header::CONTENT_TYPE, asset.mime)], asset.body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if asset.mime == HTML {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

pub async fn kiosk(headers: HeaderMap) -> Response {
    serve("kiosk.html", &headers)
}

pub async fn counter(headers: HeaderMap) -> Response {
    serve("counter.html", &headers)
}

pub async fn display(headers: HeaderMap) -> Response {
    serve("display.html", &headers)
}

pub async fn admin(headers: HeaderMap) -> Response {
    serve("admin.html", &headers)
}

/// `/r`: queueing from home on the applicant's phone.
pub async fn remote(headers: HeaderMap) -> Response {
    serve("remote.html", &headers)
}

/// `/rate/{counter}`: the rating pad facing the applicant at a counter.
/// An unknown counter gets the same page with 404: it says so itself.
pub async fn rate(
    State(state): State<AppState>,
    Path(counter): Path<String>,
    headers: HeaderMap,
) -> Response {
    let known = state.engine.hall().counters.iter().any(|c| c.id == counter);
    serve_as("rate.html", &headers, found(known))
}

/// `/window/{counter}`: the small screen above a counter; 404 (with the
/// page, which says so) for a counter the hall does not have.
pub async fn window(
    State(state): State<AppState>,
    Path(counter): Path<String>,
    headers: HeaderMap,
) -> Response {
    let known = state.engine.hall().counter(&counter).is_some();
    serve_as("window.html", &headers, found(known))
}

/// `/t/{id}`: the same page for every ticket; it reads the id from its URL.
/// An id that names no ticket (not a number, or never issued) gets the page
/// with 404, which shows the "no such ticket" message.
pub async fn ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let known = match id.parse::<i64>() {
        // A storage hiccup is not "no such ticket": the page then asks again.
        Ok(n) if n > 0 => !matches!(state.engine.ticket_exists(TicketId(n)).await, Ok(false)),
        _ => false,
    };
    serve_as("ticket.html", &headers, found(known))
}

fn found(known: bool) -> StatusCode {
    if known {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// `/static/{file}`: scripts, styles and images (never the HTML pages).
pub async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    if name.ends_with(".html") {
        return ApiError::not_found("not_found", format!("there is no file `{name}`"))
            .into_response();
    }
    serve(&name, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_directory() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/web");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = ASSETS.iter().map(|a| a.name.to_owned()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "pages::ASSETS and assets/web differ");
    }

    #[test]
    fn content_types_follow_the_extension() {
        for a in ASSETS {
            let expect = match a.name.rsplit('.').next() {
                Some("html") => HTML,
                Some("js") => JS,
                Some("css") => CSS,
                Some("svg") => "image/svg+xml",
                other => panic!("no content type for {other:?}"),
            };
            assert_eq!(a.mime, expect, "{}", a.name);
        }
    }

    #[test]
    fn revalidation_answers_304() {
        let first = serve("qcall.css", &HeaderMap::new());
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].clone();
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, tag);
        assert_eq!(
            serve("qcall.css", &headers).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            serve("nope.js", &HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn weak_tags_and_star_revalidate_too() {
        let tag = serve("qcall.css", &HeaderMap::new()).headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned();
        let check = |value: String, expect: StatusCode| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::IF_NONE_MATCH,
                HeaderValue::from_str(&value).unwrap(),
            );
            assert_eq!(serve("qcall.css", &headers).status(), expect, "{value}");
        };
        check(format!("W/{tag}"), StatusCode::NOT_MODIFIED);
        check(format!("\"other\", W/{tag}"), StatusCode::NOT_MODIFIED);
        check("*".into(), StatusCode::NOT_MODIFIED);
        check("\"other\"".into(), StatusCode::OK);
        check("W/\"other\"".into(), StatusCode::OK);
    }
}

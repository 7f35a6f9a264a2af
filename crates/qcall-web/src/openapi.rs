//! The OpenAPI 3.1 description of the v1 API, served at
//! `GET /api/v1/openapi.json`.
//!
//! Generated from the code with `utoipa`: each handler carries a
//! `#[utoipa::path]` (method, path, who may call it, every status it
//! answers with), the request bodies derive `ToSchema`, and the response
//! types of [`crate::wire`] derive it too. Bodies that handlers build with
//! `json!` are described by the types below. A test checks that every route
//! the router serves is in the document, and the document's routes are
//! served; `tests/api/schemathesis.sh` checks the real daemon against it.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use qcall_core::command::ActionSpec;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Object, OpenApi as Document, RefOr, Schema};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::error::ErrorBody;
use crate::wire;

const DESCRIPTION: &str = "\
The HTTP API of one qcall hall daemon. Everything is JSON; every error is \
`{\"error\": {\"code\", \"message\"}}` with a proper status, `code` stable for \
programs and `message` saying what to do. v1 rule: fields may be added, never \
renamed or dropped.

**Credentials.** Staff send `Authorization: Bearer <token>`: a session's \
token from `POST /api/v1/session` (工号 and password; a clerk's acts at the \
counter they signed in at, a supervisor's or guide's hall-wide), or a device \
token made with `qcall token create`. Each has one role: `counter` (acts at its own \
counter), `supervisor` (any counter, supervision), `guide` (takes, cancels and \
reprints tickets for applicants) or `integration` (appointments). The role an \
endpoint needs is listed as the scopes of its `bearer` requirement. A missing \
or unknown token is 401, a token of another role 403. Kiosk endpoints take no \
credential and are rate-limited per address (429).

**Websockets** (not described as operations):
- `GET /ws/display[?since=SEQ]`: public, read-only. First a `snapshot` frame, \
then one frame per event (`ticket_issued`, `ticket_called`, ...), each with \
`type` and `seq`; with `since` a reconnecting display gets exactly the frames \
it missed.
- `GET /ws/staff[?since=SEQ]`: the same stream plus staff-only frames (poor \
ratings with their comment); the first frame the client sends is \
`{\"type\":\"auth\",\"token\":\"...\"}` with any staff token.
- `GET /ws/counter`: the staff stream plus commands. After the auth frame, \
`{\"type\":\"call_next\",\"id\":1}`, `{\"type\":\"finish\",\"args\":{\"rating\":5}}`, ... \
(the names of `GET /api/v1/counter-actions`); each command is answered with \
`{\"type\":\"result\",\"id\":...}` or an error frame. A revoked token closes the \
socket with 1008.";

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "qcall",
        description = DESCRIPTION,
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        crate::api::tickets::take_ticket,
        crate::api::tickets::get_ticket,
        crate::api::tickets::cancel_ticket,
        crate::api::printing::reprint_ticket,
        crate::api::tickets::reenter_ticket,
        crate::api::tickets::return_ticket,
        crate::api::tickets::notify,
        crate::api::tickets::rate_ticket,
        crate::api::tickets::ready,
        crate::api::bookings::start,
        crate::api::bookings::confirm,
        crate::api::bookings::cancel,
        crate::api::bookings::slots,
        crate::api::remote::start,
        crate::api::remote::confirm,
        crate::api::remote::services,
        crate::api::remote::arrive,
        crate::api::remote::kiosk_arrive,
        crate::api::remote::defer,
        crate::api::stats::audit,
        crate::api::printing::printers,
        crate::api::printing::audio,
        crate::api::printing::notice,
        crate::api::counters::rate,
        crate::api::ratings::rules,
        crate::api::ratings::attach_case,
        crate::api::ratings::uploads,
        crate::api::rectify::list,
        crate::api::rectify::assign,
        crate::api::rectify::callback,
        crate::api::rectify::fix,
        crate::api::rectify::rate_fix,
        crate::api::appointments::book,
        crate::api::appointments::appointments,
        crate::api::hall::services,
        crate::api::counters::counters,
        crate::api::counters::counter_command,
        crate::api::counters::actions,
        crate::api::hall::queue,
        crate::api::stats::stats,
        crate::screens::whoami,
        crate::api::session::sign_in,
        crate::api::session::sign_out,
        crate::api::staff::list,
        crate::api::staff::add,
        crate::api::staff::change,
        crate::api::hall::alerts,
        crate::screens::alert,
        crate::screens::ack_alert,
        crate::screens::display,
        crate::screens::window,
        crate::screens::find_tickets,
        crate::screens::admin_overview,
        crate::reload::reload,
        crate::api::hall::healthz,
        crate::api::hall::metrics,
        openapi_json,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Finish),
    tags(
        (name = "tickets", description = "Taking tickets and what happens to them"),
        (name = "counters", description = "Counters and their actions"),
        (name = "hall", description = "The hall as a whole"),
        (name = "appointments", description = "Booked appointments"),
        (name = "remote", description = "Queueing from home: remote tickets, arrival, deferral"),
        (name = "reports", description = "Figures and the audit trail"),
        (name = "devices", description = "Printers and the hall speaker"),
        (name = "staff", description = "Staff sign-in with 工号 and password"),
        (name = "ratings", description = "好差评: rating rules and the upload to the province"),
    )
)]
pub struct ApiDoc;

/// What the attributes cannot say: the security scheme, the version, the
/// counter actions' names (the core's table), and `/healthz` and `/metrics`
/// at the root as well as under `/api/v1`.
struct Finish;

impl Modify for Finish {
    fn modify(&self, doc: &mut Document) {
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "A staff token from `qcall token create`; the scopes of a requirement are the roles that may call the endpoint",
                        ))
                        .build(),
                ),
            );
        let actions: Vec<serde_json::Value> = ActionSpec::for_clients()
            .flat_map(|a| std::iter::once(a.name).chain(a.aliases.iter().copied()))
            .map(serde_json::Value::from)
            .collect();
        if let Some(item) = doc
            .paths
            .paths
            .get_mut("/api/v1/counters/{counter}/{action}")
            && let Some(op) = item.post.as_mut()
        {
            for p in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && p.name == "action"
                {
                    let mut schema = Object::with_type(utoipa::openapi::Type::String);
                    schema.enum_values = Some(actions.clone());
                    p.schema = Some(RefOr::T(Schema::Object(schema)));
                }
            }
        }
        // An unexpected failure (the token table or a day's records cannot
        // be read) is a 500 wherever a credential is checked or the engine
        // is asked: logged with its detail, shown as `internal`.
        let internal: RefOr<utoipa::openapi::Response> = utoipa::openapi::ResponseBuilder::new()
            .description(
                "`internal`: an unexpected failure; nothing was changed, the log has the detail",
            )
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
            .into();
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.delete]
                .into_iter()
                .flatten()
            {
                let responses = &mut op.responses.responses;
                if op.security.is_some() || responses.contains_key("503") {
                    responses
                        .entry("500".to_owned())
                        .or_insert_with(|| internal.clone());
                }
            }
        }
        for (alias, path) in [
            ("/healthz", "/api/v1/healthz"),
            ("/metrics", "/api/v1/metrics"),
        ] {
            if let Some(mut item) = doc.paths.paths.get(path).cloned() {
                if let Some(op) = item.get.as_mut() {
                    op.operation_id = op.operation_id.as_ref().map(|id| format!("{id}_root"));
                }
                doc.paths.paths.insert(alias.to_owned(), item);
            }
        }
    }
}

/// The document, as served.
pub fn document() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default())
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "hall",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API",
        body = Object, content_type = "application/json"))
)]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

// The bodies handlers build with `json!`, as the document describes them.

/// `GET /api/v1/whoami`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoamiBody {
    /// `counter`, `supervisor`, `guide` or `integration`.
    pub role: String,
    /// The counter's id, or the person's name.
    pub subject: String,
    /// The counter a counter token acts at.
    pub counter: Option<wire::CounterRef>,
}

/// An alert: `kind` is `wait`, `queue_length`, `service_time`, `rating`
/// or `guide`; the other fields depend on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertJson {
    pub id: AlertId,
    pub kind: String,
    /// `yellow` or `red` (SLA and rating alerts).
    pub level: Option<String>,
    /// `false` when an SLA alert clears.
    pub active: Option<bool>,
    pub message: Option<wire::Bilingual>,
    /// One-off alerts: who acknowledged it, when, with what note; `null`
    /// until then.
    pub ack: Option<AckJson>,
}

/// An alert's acknowledgement.
#[derive(Debug, Serialize, ToSchema)]
pub struct AckJson {
    /// Hall-local RFC 3339.
    pub at: String,
    /// The supervisor or guide, with their 工号 when signed in.
    pub by: String,
    pub note: String,
}

/// A string for SLA alerts (the same alert keeps its id while it lasts), a
/// number for one-off alerts (guide calls, poor ratings: stored, the same
/// id after a restart).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum AlertId {
    Key(String),
    Number(u64),
}

/// `GET /api/v1/alerts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsList {
    /// SLA alerts in force.
    pub active: Vec<AlertJson>,
    /// One-off alerts, newest first.
    pub recent: Vec<AlertJson>,
}

/// A call for a guide, raised.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuideAlertJson {
    pub id: u64,
    /// `guide`.
    pub kind: String,
    /// The kiosk that asked, control characters removed, at most 64 characters.
    pub source: String,
    /// Hall-local RFC 3339.
    pub at: String,
    /// `null` until acknowledged.
    pub ack: Option<AckJson>,
}

/// `POST /api/v1/alerts`, `POST /api/v1/alerts/{id}/ack`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RaisedAlertBody {
    pub alert: GuideAlertJson,
}

/// `GET /api/v1/display`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisplayBody {
    pub hall: wire::Bilingual,
    pub hotline: String,
    pub display: wire::DisplaySettings,
}

/// `GET /api/v1/admin/overview`: counters and queues with staff names.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewBody {
    /// The supervisor's name.
    pub supervisor: String,
    pub seq: u64,
    pub day: String,
    pub counters: Vec<wire::CounterJson>,
    pub queue: wire::QueueJson,
    /// Recent `alert` frames, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<serde_json::Value>,
}

/// `GET /api/v1/audio`: the speaker's last `audio_state` report
/// (`output`, `device`, `queued`, `played`, `dropped`, `last_error`, ...).
#[derive(Debug, Serialize, ToSchema)]
pub struct AudioBody {
    #[schema(value_type = Object)]
    pub audio: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode, header};
    use qcall_core::{CounterDef, Hall, Policy, PolicyKind, PriorityClass, Service, Text};
    use tower_service::Service as _;

    use super::*;
    use crate::{AppState, Auth, Hub, Metrics, RateLimiter};

    /// Routes that are not part of the API: the test clock of `test-clock`
    /// builds, which no hall runs.
    const NOT_API: &[&str] = &["/api/v1/test/clock"];

    fn hall() -> Arc<Hall> {
        Arc::new(
            Hall::new(
                Text::new("大厅", "Hall"),
                jiff::tz::TimeZone::UTC,
                vec![Service {
                    code: "A".into(),
                    name: Text::new("A", "A"),
                    prefix: "A".into(),
                    materials: vec![],
                    target_wait_yellow_s: 600,
                    target_wait_red_s: 1200,
                    daily_cap: None,
                    avg_service_s: 300,
                }],
                vec![PriorityClass {
                    id: "normal".into(),
                    name: Text::new("普通", "Normal"),
                    weight: 1,
                    green: false,
                    mark: None,
                    prefix: None,
                }],
                "normal".into(),
                vec![CounterDef {
                    id: "1".into(),
                    number: 1,
                    name: Text::new("1", "1"),
                    services: vec!["A".into()],
                    service_order: Default::default(),
                }],
                Policy {
                    kind: PolicyKind::Ratio { n: 2 },
                    max_wait_ms: None,
                },
                2,
                3,
            )
            .unwrap(),
        )
    }

    /// The whole router over a fresh database.
    fn router(dir: &std::path::Path) -> axum::Router {
        router_with(dir, None)
    }

    fn router_with(
        dir: &std::path::Path,
        printing: Option<Arc<dyn crate::devices::Printing>>,
    ) -> axum::Router {
        let db = dir.join("hall.db");
        let store = qcall_store::Store::open(&db).unwrap();
        let (engine, _thread) =
            qcall_engine::start(hall(), store, Arc::new(qcall_engine::SystemClock), vec![])
                .unwrap();
        let (_stop, stop) = tokio::sync::watch::channel(false);
        let policy = crate::SessionPolicy {
            idle_ms: 8 * 3_600_000,
        };
        let auth = Arc::new(Auth::open(&db, engine.clone(), policy).unwrap());
        crate::router(AppState {
            engine,
            hub: Hub::new(0),
            auth,
            site: Arc::new(crate::LiveSite::default()),
            reloader: None,
            metrics: Arc::new(Metrics::default()),
            limiter: Arc::new(RateLimiter::new(0)),
            remote_limiter: Arc::new(RateLimiter::new(0)),
            guards: Arc::default(),
            alerts: Arc::default(),
            keys: qcall_store::TicketKeys::new([0; 32]),
            trusted_proxies: Arc::default(),
            printing,
            stop,
            ws_send_timeout: std::time::Duration::from_secs(5),
            #[cfg(feature = "test-clock")]
            clock: None,
        })
    }

    /// The paths the router serves, as registered. axum has no public list
    /// of a router's routes; its `Debug` output names every path (nested
    /// ones with their prefix) as a quoted string. Should that output
    /// change, the checks below on what must be found fail loudly rather
    /// than pass on nothing.
    fn served_paths(router: &axum::Router) -> BTreeSet<String> {
        let text = format!("{router:?}");
        let paths: BTreeSet<String> = text
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| s.starts_with('/'))
            .map(str::to_owned)
            .collect();
        for known in [
            "/healthz",
            "/api/v1/tickets",
            "/api/v1/tickets/{id}",
            "/ws/display",
        ] {
            assert!(
                paths.contains(known),
                "{known} not found in the router's Debug output; has axum changed it? {text}"
            );
        }
        paths
    }

    fn in_scope(path: &str) -> bool {
        (path.starts_with("/api/v1/") || path == "/healthz" || path == "/metrics")
            && !NOT_API.contains(&path)
    }

    /// The methods the router takes at `path`: a method no route takes is
    /// answered 405 with the `Allow` header, from the router itself.
    async fn served_methods(router: &axum::Router, path: &str) -> BTreeSet<String> {
        let uri: Vec<String> = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "x1".to_owned()
                } else {
                    seg.to_owned()
                }
            })
            .collect();
        let request = Request::builder()
            .method(Method::from_bytes(b"PURGE").unwrap())
            .uri(uri.join("/"))
            .body(Body::empty())
            .unwrap();
        let response = router.clone().call(request).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{path}: an unknown method should be 405"
        );
        let allow = response.headers()[header::ALLOW].to_str().unwrap();
        allow
            .split(',')
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| m != "head")
            .collect()
    }

    fn documented() -> BTreeSet<(String, String)> {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let mut ops = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                ops.insert((method.clone(), path.clone()));
            }
        }
        ops
    }

    #[tokio::test]
    async fn every_route_the_router_serves_is_in_the_document_and_back() {
        let dir = tempfile::tempdir().unwrap();
        let router = router(dir.path());
        let mut served = BTreeSet::new();
        for path in served_paths(&router).into_iter().filter(|p| in_scope(p)) {
            for method in served_methods(&router, &path).await {
                served.insert((method, path.clone()));
            }
        }
        assert!(served.len() > 25, "too few routes found: {served:?}");
        let documented = documented();
        let missing: Vec<_> = served.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "served but not in the OpenAPI document (add #[utoipa::path] and list the handler in ApiDoc): {missing:?}"
        );
        let extra: Vec<_> = documented.difference(&served).collect();
        assert!(extra.is_empty(), "documented but not served: {extra:?}");
    }

    #[tokio::test]
    async fn the_document_is_served_as_openapi_3_1() {
        let dir = tempfile::tempdir().unwrap();
        let request = Request::get("/api/v1/openapi.json")
            .body(Body::empty())
            .unwrap();
        let response = router(dir.path()).call(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        let cancel = &doc["paths"]["/api/v1/tickets/{id}/cancel"]["post"];
        assert_eq!(
            cancel["security"][0]["bearer"],
            serde_json::json!(["guide", "supervisor"])
        );
        for status in ["401", "403", "500"] {
            assert_eq!(
                cancel["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{status}"
            );
        }
        let states = &doc["components"]["schemas"]["TicketJson"]["properties"]["state"]["enum"];
        assert!(
            states.as_array().unwrap().contains(&"waiting".into()),
            "{states}"
        );
        // `/r` gives the wait as `GET /services` does.
        for field in [
            "estimated_wait_s",
            "estimated_wait_range_s",
            "estimated_wait_text",
        ] {
            for schema in ["ServiceJson", "RemoteServiceJson"] {
                let property = &doc["components"]["schemas"][schema]["properties"][field];
                assert!(property.is_object(), "{schema}.{field}");
            }
        }
        let actions = &doc["paths"]["/api/v1/counters/{counter}/{action}"]["post"]["parameters"];
        let action = actions
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "action")
            .unwrap();
        assert!(
            action["schema"]["enum"]
                .as_array()
                .unwrap()
                .contains(&"call-next".into()),
            "{action}"
        );
    }

    async fn call(router: axum::Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
        let response = router.clone().call(request).await.unwrap();
        let status = response.status();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json",
            "{status}"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn a_path_that_is_not_utf8_is_a_json_400() {
        let dir = tempfile::tempdir().unwrap();
        for (method, uri) in [
            (Method::GET, "/api/v1/tickets/%FF"),
            (Method::POST, "/api/v1/counters/%C3/open"),
        ] {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap();
            let (status, body) = call(router(dir.path()), request).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert_eq!(body["error"]["code"], "bad_request", "{body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains("UTF-8"), "{message}");
        }
    }

    /// One printer, `hall`, that says it printed.
    #[derive(Debug)]
    struct OnePrinter;

    impl crate::devices::Printing for OnePrinter {
        fn ticket(
            &self,
            _: qcall_engine::TicketView,
            _: String,
            printer: Option<String>,
            _: bool,
        ) -> crate::devices::BoxFuture<crate::devices::PrintOutcome> {
            use crate::devices::{PrintOutcome, PrintStatus};
            let outcome = match printer.as_deref() {
                None | Some("hall") => PrintOutcome {
                    status: PrintStatus::Printed,
                    printer: Some("hall".into()),
                    reason: None,
                },
                Some(other) => PrintOutcome {
                    status: PrintStatus::Failed,
                    printer: None,
                    reason: Some(format!("there is no printer `{other}`")),
                },
            };
            Box::pin(async move { outcome })
        }

        fn new_ticket(
            &self,
            _: qcall_engine::TicketView,
            _: String,
        ) -> crate::devices::TicketPrint {
            crate::devices::TicketPrint::Now(crate::devices::PrintOutcome {
                status: crate::devices::PrintStatus::None,
                printer: None,
                reason: None,
            })
        }

        fn notice(
            &self,
            _: crate::devices::NoticeRequest,
        ) -> crate::devices::BoxFuture<crate::devices::PrintOutcome> {
            unreachable!("no notice in this test")
        }

        fn printers(&self) -> Vec<crate::devices::PrinterInfo> {
            vec![crate::devices::PrinterInfo {
                id: "hall".into(),
                uri: "file:///dev/null".into(),
                width_mm: 80,
                state: "ok",
                detail: None,
                printed: 0,
                failed: 0,
                since_ms: 0,
                kiosks: vec![],
                counters: vec![],
            }]
        }
    }

    #[tokio::test]
    async fn reprinting_on_a_printer_that_does_not_exist_is_a_404_not_a_502() {
        let dir = tempfile::tempdir().unwrap();
        let router = router_with(dir.path(), Some(Arc::new(OnePrinter)));
        let secret = "qc_test_supervisor";
        qcall_store::Store::open(&dir.path().join("hall.db"))
            .unwrap()
            .add_token(
                &qcall_store::token_hash(secret),
                qcall_store::Role::Supervisor,
                "sup",
                0,
            )
            .unwrap();
        let post = |uri: &str, body: &str| {
            Request::post(uri)
                .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                .header(header::CONTENT_TYPE, "application/json")
                .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [127, 0, 0, 1],
                    9,
                ))))
                .body(Body::from(body.to_owned()))
                .unwrap()
        };
        let (status, taken) = call(
            router.clone(),
            post("/api/v1/tickets", r#"{"service":"A"}"#),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{taken}");
        let id = taken["ticket"]["id"].as_i64().unwrap();
        let reprint = format!("/api/v1/tickets/{id}/reprint");
        let (status, body) = call(router.clone(), post(&reprint, r#"{"printer":"nope"}"#)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "unknown_printer", "{body}");
        let (status, body) = call(router, post(&reprint, r#"{"printer":"hall"}"#)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

//! qcall's HTTP surface: the v1 JSON API, the websocket streams and the
//! hall's pages. The only crate that knows JSON and HTTP.
//!
//! # Layout
//! - [`api`]: `/api/v1/...` handlers.
//! - [`alerts`]: SLA lights and one-off alerts, pushed as `alert` frames.
//! - [`screens`]: API the screens add (whoami, alerts, display layout,
//!   supervisor overview).
//! - [`pages`]: the embedded pages (`/kiosk`, `/counter`, `/display`,
//!   `/t/{id}`, `/admin`) and their `/static/` files.
//! - [`ws`]: `/ws/display`, `/ws/staff` and `/ws/counter`.
//! - [`hub`]: encodes each committed event once and fans it out.
//! - [`wire`]: the JSON shapes of the contract.
//! - [`error`]: the one mapping of failures to statuses and bodies.
//! - [`auth`]: bearer tokens and who may act where.
//! - [`client_addr`]: the client address behind trusted proxies.
//! - [`guards`]: limits on guessing codes and passwords.
//! - [`devices`]: the printing the binary plugs in.
//! - [`metrics`]: the Prometheus text at `/metrics`.
//! - [`openapi`]: the OpenAPI document at `/api/v1/openapi.json`.
//! - [`reload`]: the live site settings and `POST /api/v1/admin/reload`.
//!
//! Handlers decide nothing about queues: they translate requests into
//! engine commands and engine values into JSON.

pub mod alerts;
pub mod api;
pub mod auth;
pub mod client_addr;
pub mod devices;
pub mod error;
pub mod guards;
pub mod hub;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod reload;
pub mod screens;
pub mod wire;
pub mod ws;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::routing::{get, post};
use qcall_engine::EngineHandle;

pub use auth::{Auth, SessionPolicy};
pub use client_addr::{ClientIp, TrustedProxies};
pub use hub::{Hub, HubPublisher};
pub use metrics::Metrics;
pub use reload::{LiveSite, RELOADED_NOTICE, ReloadBody, ReloadError, Reloader};
pub use wire::{DisplaySettings, Site, Zone};

/// Everything a handler may use. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub engine: EngineHandle,
    pub hub: Arc<Hub>,
    pub auth: Arc<Auth>,
    /// The site settings now in force (a reload swaps them).
    pub site: Arc<reload::LiveSite>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
    /// Per address: remote-ticket codes asked for and tried (`/r`).
    pub remote_limiter: Arc<RateLimiter>,
    /// Limits on guessing arrival codes and passwords.
    pub guards: Arc<guards::Guards>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// The hall's live alerts.
    pub alerts: Arc<alerts::AlertBoard>,
    /// Derives and checks each ticket's key (the `k` in its QR code).
    pub keys: qcall_store::TicketKeys,
    /// Ticket printers, when the hall has any.
    pub printing: Option<Arc<dyn devices::Printing>>,
    /// Re-reads the config file (`POST /api/v1/admin/reload`), when the
    /// daemon has one.
    pub reloader: Option<Arc<dyn reload::Reloader>>,
    /// Turns `true` when the daemon shuts down: sockets close with 1001.
    pub stop: tokio::sync::watch::Receiver<bool>,
    /// A websocket client that takes longer to accept one write is dropped.
    pub ws_send_timeout: std::time::Duration,
    /// Test builds: the manual clock tests may move.
    #[cfg(feature = "test-clock")]
    pub clock: Option<Arc<qcall_engine::ManualClock>>,
}

impl AppState {
    /// The per-address limit on unauthenticated requests from kiosks and
    /// pads (tickets, ratings, returns, phone numbers, guide calls): 429
    /// when exceeded, counted in `/metrics`. `ip` is the client's address
    /// ([`ClientIp`]), which behind a trusted proxy is not the TCP peer.
    pub fn kiosk_limit(&self, ip: IpAddr) -> Result<(), error::ApiError> {
        if self.limiter.allow(ip) {
            return Ok(());
        }
        self.metrics
            .rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Err(error::ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this kiosk in the last minute; please wait a moment or ask a guide",
        ))
    }

    /// The per-address limit on check-ins by arrival code alone: 429
    /// when exceeded, counted in `/metrics`.
    pub fn arrival_code_limit(&self, ip: IpAddr) -> Result<(), error::ApiError> {
        if self.guards.arrival_codes.allow(ip) {
            return Ok(());
        }
        self.metrics
            .rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Err(error::ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many check-ins by code alone from this address in the last 10 minutes; type the ticket's number with the code, or ask a guide",
        )
        .retry_after(60))
    }

    /// The per-address limit on sign-ins: 429 when exceeded, counted in
    /// `/metrics`.
    pub fn sign_in_limit(&self, ip: IpAddr) -> Result<(), error::ApiError> {
        if self.guards.sign_ins.allow(ip) {
            return Ok(());
        }
        self.metrics
            .rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Err(error::ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many sign-ins from this address in the last minute; wait a minute and try again",
        )
        .retry_after(60))
    }

    /// The per-address limit on remote-ticket codes (`/remote/start` and
    /// `/remote/confirm`): 429 when exceeded, counted in `/metrics`.
    pub fn remote_limit(&self, ip: IpAddr) -> Result<(), error::ApiError> {
        if self.remote_limiter.allow(ip) {
            return Ok(());
        }
        self.metrics
            .rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Err(error::ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many codes were asked for or tried from this address in the last hour; please wait, or take a ticket at the hall",
        ))
    }
}

/// The whole router. Serve it with `into_make_service_with_connect_info`
/// (the kiosk rate limit keys on the client address, [`ClientIp`]).
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route(
            "/tickets",
            post(api::tickets::take_ticket).get(screens::find_tickets),
        )
        .route("/tickets/{id}", get(api::tickets::get_ticket))
        .route("/tickets/{id}/cancel", post(api::tickets::cancel_ticket))
        .route("/tickets/{id}/reprint", post(api::printing::reprint_ticket))
        .route("/tickets/{id}/reenter", post(api::tickets::reenter_ticket))
        .route("/tickets/{id}/return", post(api::tickets::return_ticket))
        .route("/tickets/{id}/notify", post(api::tickets::notify))
        .route("/tickets/{id}/ready", post(api::tickets::ready))
        .route("/tickets/{id}/rating", post(api::tickets::rate_ticket))
        .route("/tickets/{id}/case", post(api::ratings::attach_case))
        .route("/rating", get(api::ratings::rules))
        .route("/ratings/uploads", get(api::ratings::uploads))
        .route("/rectifications", get(api::rectify::list))
        .route(
            "/rectifications/{ticket}/assign",
            post(api::rectify::assign),
        )
        .route(
            "/rectifications/{ticket}/callback",
            post(api::rectify::callback),
        )
        .route("/rectifications/{ticket}/fix", post(api::rectify::fix))
        .route("/tickets/{id}/fix-rating", post(api::rectify::rate_fix))
        .route("/tickets/{id}/arrive", post(api::remote::arrive))
        .route("/tickets/{id}/defer", post(api::remote::defer))
        .route("/remote/start", post(api::remote::start))
        .route("/bookings", post(api::bookings::start))
        .route("/bookings/confirm", post(api::bookings::confirm))
        .route("/bookings/slots", get(api::bookings::slots))
        .route(
            "/bookings/{code}",
            axum::routing::delete(api::bookings::cancel),
        )
        .route("/remote/confirm", post(api::remote::confirm))
        .route("/remote/arrive", post(api::remote::kiosk_arrive))
        .route("/remote/services", get(api::remote::services))
        .route("/audit", get(api::stats::audit))
        .route("/printers", get(api::printing::printers))
        .route("/audio", get(api::printing::audio))
        .route("/counters/{counter}/notice", post(api::printing::notice))
        .route("/counters/{counter}/rating", post(api::counters::rate))
        .route(
            "/appointments",
            post(api::appointments::book).get(api::appointments::appointments),
        )
        .route("/services", get(api::hall::services))
        .route("/counters", get(api::counters::counters))
        .route(
            "/counters/{counter}/{action}",
            post(api::counters::counter_command),
        )
        .route("/counter-actions", get(api::counters::actions))
        .route("/queue", get(api::hall::queue))
        .route("/stats", get(api::stats::stats))
        .route(
            "/session",
            post(api::session::sign_in).delete(api::session::sign_out),
        )
        .route("/staff", get(api::staff::list).post(api::staff::add))
        .route("/staff/{id}/{change}", post(api::staff::change))
        .route("/whoami", get(screens::whoami))
        .route("/alerts", get(api::hall::alerts).post(screens::alert))
        .route("/alerts/{id}/ack", post(screens::ack_alert))
        .route("/display", get(screens::display))
        .route("/window/{counter}", get(screens::window))
        .route("/admin/overview", get(screens::admin_overview))
        .route("/admin/reload", post(reload::reload))
        .route("/healthz", get(api::hall::healthz))
        .route("/metrics", get(api::hall::metrics))
        .route("/openapi.json", get(openapi::openapi_json));
    #[cfg(feature = "test-clock")]
    let api = api.route("/test/clock", post(api::hall::test_clock));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(api::hall::healthz))
        .route("/metrics", get(api::hall::metrics))
        .route("/ws/display", get(ws::display))
        .route("/ws/counter", get(ws::counter))
        .route("/ws/staff", get(ws::staff))
        .route("/", get(pages::index))
        .route("/kiosk", get(pages::kiosk))
        .route("/counter", get(pages::counter))
        .route("/display", get(pages::display))
        .route("/admin", get(pages::admin))
        .route("/t/{id}", get(pages::ticket))
        .route("/r", get(pages::remote))
        .route("/rate/{counter}", get(pages::rate))
        .route("/window/{counter}", get(pages::window))
        .route("/static/{file}", get(pages::file))
        .fallback(api::hall::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(error::BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::json_errors))
        .with_state(state)
}

/// Per-address token bucket for ticket requests from kiosks.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    /// Seconds in which `per_minute` tokens come back (60 for a per-minute limit).
    window_s: f64,
    // A std mutex around a small bounded map: one lookup per request,
    // never held across an await.
    buckets: Mutex<Buckets>,
}

/// Most addresses a limiter remembers; past that the one unseen longest is
/// forgotten (it starts again with a full bucket).
pub const LIMITER_ADDRESSES: usize = 10_000;

/// The buckets by address key, and the keys by last use so that the
/// oldest is found without scanning them all.
#[derive(Debug, Default)]
struct Buckets {
    by_key: HashMap<IpAddr, Bucket>,
    by_use: std::collections::BTreeMap<u64, IpAddr>,
    next_use: u64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
    used: u64,
}

/// What a limit counts per: an IPv4 address, or an IPv6 address's /64 (one
/// home or phone gets a whole /64, so its addresses are one client).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

impl RateLimiter {
    /// `per_minute == 0` disables the limit.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter::per_window(per_minute, 60)
    }

    /// `per_hour` requests an hour per address; 0 disables the limit.
    pub fn per_hour(per_hour: u32) -> RateLimiter {
        RateLimiter::per_window(per_hour, 3600)
    }

    /// `count` requests per `seconds` per address; 0 disables the limit.
    pub fn per_window(count: u32, seconds: u32) -> RateLimiter {
        RateLimiter {
            per_minute: count,
            window_s: f64::from(seconds.max(1)),
            buckets: Mutex::new(Buckets::default()),
        }
    }

    pub fn allow(&self, ip: IpAddr) -> bool {
        self.allow_at(ip, Instant::now())
    }

    fn allow_at(&self, ip: IpAddr, now: Instant) -> bool {
        self.allow_bounded(ip, now, LIMITER_ADDRESSES)
    }

    fn allow_bounded(&self, ip: IpAddr, now: Instant, most: usize) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let key = limit_key(ip);
        let capacity = f64::from(self.per_minute);
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let used = b.next_use;
        b.next_use += 1;
        let bucket = match b.by_key.get(&key).copied() {
            Some(old) => {
                b.by_use.remove(&old.used);
                old
            }
            None => {
                while b.by_key.len() >= most.max(1) {
                    let Some((_, oldest)) = b.by_use.pop_first() else {
                        break;
                    };
                    b.by_key.remove(&oldest);
                }
                Bucket {
                    tokens: capacity,
                    at: now,
                    used,
                }
            }
        };
        let mut tokens = (bucket.tokens
            + now.duration_since(bucket.at).as_secs_f64() * capacity / self.window_s)
            .min(capacity);
        let allowed = tokens >= 1.0;
        if allowed {
            tokens -= 1.0;
        }
        b.by_key.insert(
            key,
            Bucket {
                tokens,
                at: now,
                used,
            },
        );
        b.by_use.insert(used, key);
        allowed
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_rate_limit_refills_over_a_minute() {
        let limiter = RateLimiter::new(2);
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let other: IpAddr = "10.0.0.8".parse().unwrap();
        let t0 = Instant::now();
        assert!(limiter.allow_at(ip, t0));
        assert!(limiter.allow_at(ip, t0));
        assert!(!limiter.allow_at(ip, t0), "third in the same instant");
        assert!(limiter.allow_at(other, t0), "per address");
        assert!(
            limiter.allow_at(ip, t0 + Duration::from_secs(30)),
            "one token back after 30 s"
        );
        assert!(RateLimiter::new(0).allow_at(ip, t0));
    }

    #[test]
    fn ipv6_counts_per_64_and_v4_mapped_as_v4() {
        let check = |ip: &str, key: &str| {
            assert_eq!(
                limit_key(ip.parse().unwrap()),
                key.parse::<IpAddr>().unwrap(),
                "{ip}"
            );
        };
        check("10.0.0.7", "10.0.0.7");
        check("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::");
        check("2001:db8:1:2::1", "2001:db8:1:2::");
        check("2001:db8:1:3::1", "2001:db8:1:3::");
        check("::ffff:10.0.0.7", "10.0.0.7");
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        assert!(limiter.allow_at("2001:db8::1".parse().unwrap(), t0));
        assert!(
            !limiter.allow_at("2001:db8::2".parse().unwrap(), t0),
            "another address of the same /64 shares its bucket"
        );
        assert!(limiter.allow_at("2001:db8:0:1::1".parse().unwrap(), t0));
    }

    #[test]
    fn a_full_limiter_forgets_the_address_unseen_longest() {
        let limiter = RateLimiter::new(1);
        let t0 = Instant::now();
        let ip = |n: u8| IpAddr::from([10, 0, 0, n]);
        assert!(limiter.allow_bounded(ip(1), t0, 2));
        assert!(limiter.allow_bounded(ip(2), t0, 2));
        assert!(
            !limiter.allow_bounded(ip(1), t0, 2),
            "1 is used up and now the newest"
        );
        assert!(
            limiter.allow_bounded(ip(3), t0, 2),
            "3 evicts 2, the oldest"
        );
        assert!(
            !limiter.allow_bounded(ip(1), t0, 2),
            "1 is still remembered"
        );
        assert!(
            limiter.allow_bounded(ip(2), t0, 2),
            "2 was forgotten: a full bucket"
        );
        let b = limiter.buckets.lock().unwrap();
        assert_eq!((b.by_key.len(), b.by_use.len()), (2, 2));
    }
}

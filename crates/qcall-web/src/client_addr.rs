//! Who a request comes from: the TCP peer, or, when that peer is one of the
//! hall's trusted reverse proxies (`[server] trusted_proxies`), the address
//! the proxy put in `X-Forwarded-For`.
//!
//! The kiosk rate limit and the logs key on this address. Only the listed
//! proxies are believed: any client may send the header, so from every
//! other peer it is ignored. In the header, the right-most address that is
//! not itself a trusted proxy is the client (addresses to its left were
//! written by the client or by proxies nobody vouches for). The per-address
//! connection cap is not affected: it counts TCP connections, which come
//! from the proxy (see the binary's `server` module).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::AppState;
use crate::error::ApiError;

/// The addresses and networks whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Parses `["10.0.0.5", "192.168.1.0/24", "::1"]`; the error names the
    /// entry that is neither an address nor a CIDR block.
    pub fn parse(list: &[String]) -> Result<TrustedProxies, String> {
        list.iter()
            .map(|s| {
                let s = s.trim();
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        let shown: String = s.chars().take(64).collect();
                        format!(
                            "{shown:?} is not an IP address or CIDR block (e.g. \"10.0.0.5\" or \"10.0.0.0/24\")"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address of a request from `peer` carrying `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Several X-Forwarded-For headers read as one list, in order.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // A garbled entry: nothing to its left can be vouched for;
                // the last trusted hop is the best we know.
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The request's client address ([`TrustedProxies::client`]), for
/// handlers: `ClientIp(ip): ClientIp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Err(ApiError::internal(
                "no ConnectInfo: serve the router with connect info",
            ));
        };
        Ok(ClientIp(
            state.trusted_proxies.client(peer.ip(), &parts.headers),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(trusted: &[&str], peer: &str, xff: &[&str], expect: &str) {
        let proxies =
            TrustedProxies::parse(&trusted.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        let got = proxies.client(peer.parse().unwrap(), &headers);
        assert_eq!(
            got,
            expect.parse::<IpAddr>().unwrap(),
            "trusted {trusted:?}, peer {peer}, X-Forwarded-For {xff:?}"
        );
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        // No proxies: the header is never believed.
        check(&[], "10.0.0.9", &["1.2.3.4"], "10.0.0.9");
        // An untrusted peer cannot choose its address.
        check(&["10.0.0.5"], "10.0.0.9", &["1.2.3.4"], "10.0.0.9");
        // A trusted proxy: the address it saw.
        check(&["10.0.0.5"], "10.0.0.5", &["1.2.3.4"], "1.2.3.4");
        check(&["10.0.0.0/24"], "10.0.0.5", &["1.2.3.4"], "1.2.3.4");
        // A client that forges a hop: the proxy appends what it saw.
        check(&["10.0.0.5"], "10.0.0.5", &["6.6.6.6, 1.2.3.4"], "1.2.3.4");
        // Two trusted proxies in a row are skipped.
        check(
            &["10.0.0.5", "10.0.0.6"],
            "10.0.0.5",
            &["1.2.3.4, 10.0.0.6"],
            "1.2.3.4",
        );
        // Several headers are one list.
        check(
            &["10.0.0.5"],
            "10.0.0.5",
            &["6.6.6.6", "1.2.3.4"],
            "1.2.3.4",
        );
        // Ports and IPv6 forms.
        check(&["10.0.0.5"], "10.0.0.5", &["1.2.3.4:5555"], "1.2.3.4");
        check(&["::1"], "::1", &["[2001:db8::7]:80"], "2001:db8::7");
        // An IPv4 peer seen on an IPv6 socket.
        check(&["127.0.0.1"], "::ffff:127.0.0.1", &["1.2.3.4"], "1.2.3.4");
        // No header, or only trusted hops, or garbage: the nearest we know.
        check(&["10.0.0.5"], "10.0.0.5", &[], "10.0.0.5");
        check(&["10.0.0.0/24"], "10.0.0.5", &["10.0.0.7"], "10.0.0.7");
        check(&["10.0.0.5"], "10.0.0.5", &["1.2.3.4, unknown"], "10.0.0.5");
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedProxies::parse(&["10.0.0.1".into(), "proxy.local".into()]).unwrap_err();
        assert!(
            err.contains("\"proxy.local\" is not an IP address"),
            "{err}"
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
    }
}

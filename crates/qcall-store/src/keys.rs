//! Ticket keys: the secret that proves someone holds a ticket.
//!
//! A ticket's id is sequential and public (it is in `/t/{id}`), so it proves
//! nothing. Its key is `HMAC-SHA256(hall secret, "qcall ticket v1" || id)`,
//! the first 15 bytes, in unpadded base64url (20 characters, 120 bits). It is
//! printed in the ticket's QR code (`/t/{id}?k=KEY`), returned to whoever took
//! the ticket, and asked for by every action an applicant takes on their own
//! ticket (leaving a phone number, coming back after a suspension, rating
//! it). Nothing per ticket is stored: the hall secret lives in the database
//! (`hall_secrets`), so every ticket ever issued has a key, and walking ids
//! finds no key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use qcall_core::TicketId;
use sha2::Sha256;

/// Bytes of the MAC a key carries.
const KEY_BYTES: usize = 15;

/// Derives and checks ticket keys; holds the hall secret (never printed).
#[derive(Clone)]
pub struct TicketKeys {
    secret: [u8; 32],
}

impl std::fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketKeys { .. }")
    }
}

impl TicketKeys {
    /// Keys derived from `secret` (the hall's `ticket_keys` secret).
    pub fn new(secret: [u8; 32]) -> TicketKeys {
        TicketKeys { secret }
    }

    fn mac(&self, id: TicketId) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(b"qcall ticket v1");
        mac.update(&id.0.to_be_bytes());
        mac
    }

    /// The key of ticket `id`.
    pub fn key(&self, id: TicketId) -> String {
        let tag = self.mac(id).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&tag[..KEY_BYTES])
    }

    /// Ticket `id`'s page with its key, `{base_url}/t/{id}?k=KEY`: the
    /// holder's `status_url` and the slip's QR code, one spelling.
    pub fn status_url(&self, base_url: &str, id: TicketId) -> String {
        format!("{base_url}/t/{id}?k={}", self.key(id))
    }

    /// Six digits from a MAC: the codes applicants type.
    fn digits(&self, label: &[u8], subject: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(label);
        mac.update(subject);
        let tag = mac.finalize().into_bytes();
        let n = u64::from_be_bytes(tag[..8].try_into().expect("8 bytes")) % 1_000_000;
        format!("{n:06}")
    }

    /// The 6-digit code texted for remote request `request`: a keyed hash
    /// of the request id, so the code itself is stored nowhere.
    pub fn remote_code(&self, request: &str) -> String {
        self.digits(b"qcall remote code v1", request.as_bytes())
    }

    /// The 6-digit code the phone of remote ticket `id` shows to check in
    /// at the kiosk.
    pub fn arrival_code(&self, id: TicketId) -> String {
        self.digits(b"qcall arrival code v1", &id.0.to_be_bytes())
    }

    /// An ID-card number as the hall keeps it: its keyed hash (hex), so
    /// two bookings of one person can be told apart from others without
    /// the number being stored.
    pub fn id_hash(&self, id_number: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes a key of any length");
        mac.update(b"qcall id number v1");
        mac.update(id_number.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `code` is `expected`, in constant time (both 6 digits).
    pub fn same_code(expected: &str, code: &str) -> bool {
        let code = code.trim();
        code.len() == expected.len()
            && code
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// Whether `key` is ticket `id`'s key, compared in constant time.
    pub fn verify(&self, id: TicketId, key: &str) -> bool {
        let key = key.trim();
        if key.len() != 20 {
            return false;
        }
        match URL_SAFE_NO_PAD.decode(key) {
            Ok(bytes) if bytes.len() == KEY_BYTES => {
                self.mac(id).verify_truncated_left(&bytes).is_ok()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(fill: u8) -> TicketKeys {
        TicketKeys::new([fill; 32])
    }

    #[test]
    fn a_key_opens_its_own_ticket_only() {
        let k = keys(7);
        let key = k.key(TicketId(41));
        assert_eq!(key.len(), 20);
        assert!(k.verify(TicketId(41), &key));
        assert!(!k.verify(TicketId(42), &key), "another ticket's key");
        assert!(!keys(8).verify(TicketId(41), &key), "another hall's key");
        assert_ne!(k.key(TicketId(41)), k.key(TicketId(42)));
    }

    #[test]
    fn malformed_keys_are_refused_not_panicked_on() {
        let k = keys(1);
        let good = k.key(TicketId(3));
        for bad in [
            "",
            "x",
            "====================",
            &good[..19],
            &format!("{good}A"),
            "!!!!!!!!!!!!!!!!!!!!",
        ] {
            assert!(!k.verify(TicketId(3), bad), "{bad:?}");
        }
        // One character changed is another key.
        let mut flipped = good.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        assert!(!k.verify(TicketId(3), std::str::from_utf8(&flipped).unwrap()));
    }

    #[test]
    fn keys_are_stable_for_a_secret() {
        // A printed ticket must keep working after a restart: the same
        // secret gives the same key (a fixed vector, so a change of
        // derivation is caught). The vector is Python's:
        // base64.urlsafe_b64encode(hmac.new(bytes(32), b"qcall ticket v1"
        //   + struct.pack(">q", 1), hashlib.sha256).digest()[:15])
        assert_eq!(keys(0).key(TicketId(1)), "UckQKD3lpoRyDOA7gz52");
    }

    #[test]
    fn codes_are_six_digits_of_a_keyed_hash() {
        // Vectors from Python: "%06d" % (int.from_bytes(hmac.new(bytes(32),
        //   LABEL + SUBJECT, hashlib.sha256).digest()[:8], "big") % 10**6)
        assert_eq!(keys(0).remote_code("req-0123456789abcdef"), "775231");
        assert_eq!(keys(0).arrival_code(TicketId(1)), "330847");
        assert_ne!(keys(1).remote_code("req-0123456789abcdef"), "775231");
        assert!(TicketKeys::same_code("775231", " 775231 "));
        assert!(!TicketKeys::same_code("775231", "775232"));
        assert!(!TicketKeys::same_code("775231", "77523"));
        assert!(!TicketKeys::same_code("775231", ""));
    }
}

//! One-off alerts (a call for a guide, a poor rating) as stored: their id,
//! when they were raised, for whom, their body as screens receive it (an
//! opaque text the web layer writes and reads), and their acknowledgement
//! (who, when, a note). SLA lights are not here: they are recomputed from
//! the queue and keep their keys by themselves.

use rusqlite::{OptionalExtension, params};

use crate::{Store, StoreError};

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    pub id: i64,
    pub raised_at: i64,
    /// `everyone` or `staff`.
    pub audience: String,
    pub body: String,
    /// (at, by, note) once acknowledged.
    pub ack: Option<(i64, String, String)>,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredAlert> {
    let at: Option<i64> = r.get(4)?;
    Ok(StoredAlert {
        id: r.get(0)?,
        raised_at: r.get(1)?,
        audience: r.get(2)?,
        body: r.get(3)?,
        ack: match at {
            Some(at) => Some((
                at,
                r.get(5)?,
                r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            )),
            None => None,
        },
    })
}

const SELECT: &str =
    "SELECT id, raised_at_ms, audience, body, acked_at_ms, acked_by, note FROM alerts";

impl Store {
    /// Records alert `id` (chosen by the caller, above [`Store::last_alert_id`]).
    pub fn add_alert(
        &mut self,
        id: i64,
        raised_at: i64,
        audience: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO alerts (id, raised_at_ms, audience, body) VALUES (?1, ?2, ?3, ?4)",
            params![id, raised_at, audience, body],
        )?;
        Ok(())
    }

    /// The highest alert id ever used (0 when none).
    pub fn last_alert_id(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM alerts", [], |r| r.get(0))?)
    }

    /// The latest `n` alerts, newest first.
    pub fn recent_alerts(&self, n: usize) -> Result<Vec<StoredAlert>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT} ORDER BY id DESC LIMIT ?1"))?;
        let rows = stmt.query_map([n as i64], row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Acknowledges alert `id` (once: a second acknowledgement keeps the
    /// first). Returns the alert as it is now, `None` if there is none.
    pub fn ack_alert(
        &mut self,
        id: i64,
        at: i64,
        by: &str,
        note: &str,
    ) -> Result<Option<StoredAlert>, StoreError> {
        self.conn.execute(
            "UPDATE alerts SET acked_at_ms = ?2, acked_by = ?3, note = ?4 WHERE id = ?1 AND acked_at_ms IS NULL",
            params![id, at, by, note],
        )?;
        Ok(self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
            .query_row([id], row)
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_keep_their_ids_and_their_first_acknowledgement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hall.db");
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.last_alert_id().unwrap(), 0);
        store
            .add_alert(1, 10, "everyone", "{\"kind\":\"guide\"}")
            .unwrap();
        store.add_alert(2, 20, "staff", "{}").unwrap();
        assert!(
            store.add_alert(2, 30, "staff", "{}").is_err(),
            "ids are unique"
        );
        let first = store
            .ack_alert(1, 40, "王强", "on my way")
            .unwrap()
            .unwrap();
        assert_eq!(first.ack, Some((40, "王强".into(), "on my way".into())));
        let again = store.ack_alert(1, 50, "li", "").unwrap().unwrap();
        assert_eq!(again.ack, first.ack, "the first acknowledgement stays");
        assert_eq!(store.ack_alert(9, 50, "li", "").unwrap(), None);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.last_alert_id().unwrap(), 2, "after a restart");
        let ids: Vec<i64> = store
            .recent_alerts(10)
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(ids, [2, 1]);
    }
}

//! Appointments that applicants book themselves (`/r`): how full a slot
//! is, whether an ID number already booked, finding a booking by its code
//! to check in or cancel, the reminders due the day before, and writing a
//! booking's contact, cancellation and reminder. The appointments table
//! itself came with 0003; self-booking's columns with 0010.

use qcall_core::state::Appointment;
use qcall_core::{BusinessDay, Millis, TicketId};
use rusqlite::{Connection, params};

use crate::{Batch, Store, StoreError};

/// An appointment someone asks to cancel from a phone, with what decides it.
#[derive(Debug, Clone)]
pub struct BookingToCancel {
    pub appointment: Appointment,
    pub checked_in: bool,
    /// The phone it was booked with (self-booked appointments only).
    pub phone: Option<String>,
    /// Wrong phone digits given to cancel it so far.
    pub wrong: u32,
}

impl Store {
    /// Appointments not cancelled of `service` on `day` starting in
    /// `[from, to)`: how full a slot is.
    pub fn bookings_in(
        &self,
        service: &str,
        day: BusinessDay,
        from: Millis,
        to: Millis,
    ) -> Result<u32, StoreError> {
        Ok(self.conn.prepare_cached(
            "SELECT count(*) FROM appointments WHERE day = ?1 AND service = ?2 AND slot_start_ms >= ?3 \
             AND slot_start_ms < ?4 AND cancelled_at_ms IS NULL",
        )?
        .query_row(params![day.to_string(), service, from, to], |r| r.get(0))?)
    }

    /// Whether the ID number of `id_hash` has an appointment (not
    /// cancelled) for `service` on `day`.
    pub fn booked_by(
        &self,
        service: &str,
        day: BusinessDay,
        id_hash: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM appointments WHERE day = ?1 AND service = ?2 AND id_hash = ?3 \
             AND cancelled_at_ms IS NULL)",
        )?
        .query_row(params![day.to_string(), service, id_hash], |r| r.get(0))?)
    }

    /// Appointments with check-in code `code` on `from` or later, not
    /// cancelled: each with whether it is checked in.
    pub fn bookings_by_code(
        &self,
        code: &str,
        from: BusinessDay,
    ) -> Result<Vec<(Appointment, bool)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, service, slot_start_ms, slot_end_ms, name, ticket_id FROM appointments \
             WHERE code = ?1 AND day >= ?2 AND cancelled_at_ms IS NULL ORDER BY day",
        )?;
        let rows = stmt.query_map(params![code, from.to_string()], |r| {
            let ticket = r.get::<_, Option<i64>>(5)?.map(TicketId);
            Ok((
                Appointment {
                    code: r.get(0)?,
                    service: r.get(1)?,
                    slot_start: r.get(2)?,
                    slot_end: r.get(3)?,
                    name: r.get(4)?,
                    ticket,
                },
                ticket.is_some(),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// For a cancel from a phone: each appointment to come with `code`.
    pub fn bookings_to_cancel(
        &self,
        code: &str,
        from: BusinessDay,
    ) -> Result<Vec<BookingToCancel>, StoreError> {
        let mut out = Vec::new();
        for (a, checked_in) in self.bookings_by_code(code, from)? {
            let phone: Option<String> = self.conn.query_row(
                "SELECT phone FROM appointments WHERE code = ?1 AND slot_start_ms = ?2 AND cancelled_at_ms IS NULL",
                params![code, a.slot_start],
                |r| r.get(0),
            )?;
            let wrong: u32 = self.conn.query_row(
                "SELECT COUNT(*) FROM events WHERE kind = 'appointment_cancel_wrong' AND code = ?1 AND queued_at_ms = ?2",
                params![code, a.slot_start],
                |r| r.get(0),
            )?;
            out.push(BookingToCancel {
                appointment: a,
                checked_in,
                phone,
                wrong,
            });
        }
        Ok(out)
    }

    /// Self-booked appointments of `day` (tomorrow, for the caller) whose
    /// reminder has not gone out.
    pub fn reminders_due(
        &self,
        day: BusinessDay,
    ) -> Result<Vec<qcall_core::state::Reminder>, StoreError> {
        reminders_due(&self.conn, day)
    }
}

impl Batch<'_> {
    /// [`Store::reminders_due`] inside the batch: its own bookings included.
    pub fn reminders_due(
        &self,
        day: BusinessDay,
    ) -> Result<Vec<qcall_core::state::Reminder>, StoreError> {
        reminders_due(&self.tx, day)
    }

    /// Writes a self-booked appointment's contact, cancellation or reminder.
    pub fn put_booking(&mut self, change: &qcall_core::state::Booking) -> Result<(), StoreError> {
        use qcall_core::state::Booking;
        match change {
            Booking::Contact {
                day,
                code,
                phone,
                id_hash,
                id_last4,
            } => {
                self.tx
                    .prepare_cached(
                        "UPDATE appointments SET phone = ?3, id_hash = ?4, id_last4 = ?5 WHERE day = ?1 AND code = ?2",
                    )?
                    .execute(params![day.to_string(), code, phone, id_hash, id_last4])?;
            }
            Booking::Cancelled { day, code, at } => {
                self.tx
                    .prepare_cached(
                        "UPDATE appointments SET cancelled_at_ms = ?3 WHERE day = ?1 AND code = ?2 AND cancelled_at_ms IS NULL",
                    )?
                    .execute(params![day.to_string(), code, at])?;
            }
            Booking::Reminded { day, code, at } => {
                self.tx
                    .prepare_cached(
                        "UPDATE appointments SET reminded_at_ms = ?3 WHERE day = ?1 AND code = ?2",
                    )?
                    .execute(params![day.to_string(), code, at])?;
            }
        }
        Ok(())
    }
}

/// Self-booked appointments of `day` not cancelled and not yet reminded.
fn reminders_due(
    conn: &Connection,
    day: BusinessDay,
) -> Result<Vec<qcall_core::state::Reminder>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, service, slot_start_ms, phone FROM appointments WHERE day = ?1 AND phone IS NOT NULL \
         AND id_hash IS NOT NULL AND cancelled_at_ms IS NULL AND reminded_at_ms IS NULL ORDER BY slot_start_ms, code",
    )?;
    let rows = stmt.query_map([day.to_string()], |r| {
        Ok(qcall_core::state::Reminder {
            code: r.get(0)?,
            service: r.get(1)?,
            slot_start: r.get(2)?,
            phone: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

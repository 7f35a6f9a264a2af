-- qcall schema v7: the 80% range of the wait estimated when a ticket was
-- issued, beside its point (`predicted_wait_s`), so the day's statistics
-- can say how often the range held the actual wait. Fixed at issue time.
ALTER TABLE tickets ADD COLUMN predicted_low_s INTEGER;
ALTER TABLE tickets ADD COLUMN predicted_high_s INTEGER;

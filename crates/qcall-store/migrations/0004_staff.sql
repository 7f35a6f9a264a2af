-- qcall schema v4: who works at a counter. A counter token may name the
-- clerk it was issued to; the clerk who calls a ticket is kept with it, so
-- statistics can be given per staff member.

ALTER TABLE tokens ADD COLUMN staff TEXT;
ALTER TABLE tickets ADD COLUMN served_by TEXT;

-- JSON may carry U+0000 in a string (`\u0000`); jsonb cannot, and neither
-- can the ERP's XML. Such work is refused, but nothing is lost: its exact
-- JSON text is kept here instead of in `payload`.
ALTER TABLE dead_letter ADD COLUMN payload_text text;
ALTER TABLE dead_letter ADD CONSTRAINT dead_letter_one_payload
  CHECK (payload IS NULL OR payload_text IS NULL);

-- A flow that meets the same refused record again finds its open dead
-- letter instead of adding another (dead_letter_store::put).
CREATE INDEX dead_letter_open_entity ON dead_letter (entity, entity_id)
  WHERE replayed_at IS NULL;

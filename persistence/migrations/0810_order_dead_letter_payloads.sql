-- A failed order was dead-lettered with a null payload: its saga read the
-- order from a key of its data that nothing wrote once the order moved to
-- saga_input (0710). Such dead letters get the order their saga started
-- from, so that each shows what a replay sends. JSON that jsonb cannot
-- hold (U+0000) or that does not parse is kept as its exact text.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT d.id, i.input FROM dead_letter d
      JOIN saga_input i ON i.kind = 'order' AND i.key = d.entity_id
     WHERE d.source = 'order_saga' AND d.entity = 'order'
       AND (d.payload IS NULL OR d.payload = 'null'::jsonb)
       AND d.payload_text IS NULL AND i.input <> ''
  LOOP
    BEGIN
      UPDATE dead_letter SET payload = r.input::jsonb WHERE id = r.id;
    EXCEPTION WHEN others THEN
      UPDATE dead_letter SET payload = NULL, payload_text = r.input
       WHERE id = r.id;
    END;
  END LOOP;
END
$$;

-- What a saga started from (for an order: the shop's order JSON as
-- received), written once. In the saga's `data` it was copied into every
-- transition's new row version, its WAL and its statement, though no step
-- changes it.
CREATE TABLE saga_input (
  kind  text NOT NULL,
  key   text NOT NULL,
  input text NOT NULL,
  PRIMARY KEY (key, kind)
);
INSERT INTO saga_input (kind, key, input)
  SELECT kind, key, data->>'order_json' FROM saga WHERE data ? 'order_json';
UPDATE saga SET data = data - 'order_json' WHERE data ? 'order_json';

-- The lost-webhook poller (actors/shop_poller.hpp): one cursor per shop
-- resource, and an index to find an inbox event by the shop entity it is
-- about (orders carry entity_id, customers and products id).
CREATE TABLE shop_poll_cursor (
  resource   text        PRIMARY KEY,
  cursor_at  text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX inbox_shop_entity
  ON inbox (topic, (coalesce(payload->>'entity_id', payload->>'id')))
  WHERE source = 'shop';

-- Catalog and stock (issue 6): the reservation ledger, Ferry's own writes
-- (echo hashes), sync cursors, product state and batch jobs.

-- One row per order that reserved stock; its primary key makes reserving
-- idempotent per order, also under concurrent attempts.
CREATE TABLE stock_reservation_order (
  order_key   text        PRIMARY KEY,
  reserved_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz
);

-- The quantities of an order, per SKU; open while the order is not released.
CREATE TABLE stock_reservation (
  order_key text   NOT NULL REFERENCES stock_reservation_order (order_key),
  sku       text   NOT NULL,
  quantity  bigint NOT NULL CHECK (quantity > 0),
  released  boolean NOT NULL DEFAULT false,
  PRIMARY KEY (order_key, sku)
);
CREATE INDEX stock_reservation_open ON stock_reservation (sku)
  WHERE NOT released;

-- The content hash Ferry last wrote per entity, side and key: a change that
-- comes back with this hash is Ferry's own (an echo) and is not synced back.
CREATE TABLE echo_hash (
  entity      text        NOT NULL,
  side        text        NOT NULL CHECK (side IN ('shop', 'erp')),
  key         text        NOT NULL,
  hash        text        NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (entity, side, key)
);

-- Where a poller of the ERP stands (GetItems ModifiedSince, GetStockLevels
-- per warehouse), committed after the page it covers was written.
CREATE TABLE sync_cursor (
  name       text        PRIMARY KEY,
  cursor_at  text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The ERP's last known version of each product (its fields in shop terms,
-- as mapping/product_mapping.hpp gives them, and its ModifiedAt): what a
-- shop edit of an ERP-owned field is put back to, and the time that
-- decides last writer wins.
CREATE TABLE product_state (
  sku          text        PRIMARY KEY,
  erp_fields   jsonb       NOT NULL,
  erp_modified text        NOT NULL DEFAULT '',
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Long-running batch jobs (`ferry sync products --full`), with progress read
-- by GET /api/v1/jobs/{id} and the position to resume from.
CREATE TABLE job (
  id          bigserial   PRIMARY KEY,
  kind        text        NOT NULL,
  status      text        NOT NULL DEFAULT 'running'
              CHECK (status IN ('running', 'done', 'failed')),
  total       bigint,
  done        bigint      NOT NULL DEFAULT 0,
  failed      bigint      NOT NULL DEFAULT 0,
  position    text        NOT NULL DEFAULT '',
  message     text,
  started_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX job_kind_status ON job (kind, status, id);

-- Drift found by `ferry reconcile`: SKUs missing on one side, differences.
CREATE TABLE reconcile_drift (
  id        bigserial   PRIMARY KEY,
  run_id    bigint      NOT NULL REFERENCES job (id),
  kind      text        NOT NULL,
  sku       text        NOT NULL,
  detail    text        NOT NULL,
  fixed     boolean     NOT NULL DEFAULT false,
  found_at  timestamptz NOT NULL DEFAULT now()
);

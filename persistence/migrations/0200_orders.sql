-- Order sagas live in `saga` (kind 'order', key = the shop's increment_id).
-- Nodes look for runnable ones on every tick: those not parked (waiting for
-- a decision or done) and not failed.
CREATE INDEX saga_order_runnable ON saga (id)
  WHERE kind = 'order' AND state <> 'failed'
    AND NOT coalesce((data->>'parked')::boolean, false);

-- Where the ERP status-back poller resumes (GetSalesOrderStatusChanges
-- `Since`), one row per poller name.
CREATE TABLE order_status_cursor (
  name       text PRIMARY KEY,
  since      text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

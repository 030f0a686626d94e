-- Ferry's first tables. Every node of a cluster shares them; work is claimed
-- with FOR UPDATE SKIP LOCKED and leases (claimed_by, lease_until) that
-- expire, so the claims of a node that died are taken over by another.

-- Webhooks and other incoming events, committed before they are
-- acknowledged; the unique key makes redelivery a no-op.
CREATE TABLE inbox (
  id          bigserial PRIMARY KEY,
  source      text        NOT NULL,
  event_id    text        NOT NULL,
  topic       text        NOT NULL,
  payload     jsonb       NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  status      text        NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'processing', 'done', 'failed')),
  claimed_by  text,
  lease_until timestamptz,
  attempts    integer     NOT NULL DEFAULT 0,
  last_error  text,
  finished_at timestamptz,
  UNIQUE (source, event_id)
);
CREATE INDEX inbox_open ON inbox (id) WHERE status IN ('pending', 'processing');

-- Long-running workflows (one row per order saga, ...): every step is a
-- committed state transition guarded by `version` (optimistic locking).
CREATE TABLE saga (
  id          bigserial PRIMARY KEY,
  kind        text        NOT NULL,
  key         text        NOT NULL,
  state       text        NOT NULL,
  data        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  version     integer     NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  claimed_by  text,
  lease_until timestamptz,
  UNIQUE (kind, key)
);
CREATE INDEX saga_kind_state ON saga (kind, state);

-- Messages to send to the outside world, written in the same transaction as
-- the state change that causes them; retried until sent.
CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  topic           text        NOT NULL,
  key             text        NOT NULL,
  payload         jsonb       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  claimed_by      text,
  lease_until     timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- One row per sync attempt (US-5); personal data in `message` and
-- `payload` is masked before it is written.
CREATE TABLE sync_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  entity      text        NOT NULL,
  direction   text        NOT NULL
              CHECK (direction IN ('shop_to_erp', 'erp_to_shop', 'internal')),
  entity_id   text        NOT NULL,
  external_id text,
  attempt     integer     NOT NULL DEFAULT 1,
  latency_ms  bigint,
  outcome     text        NOT NULL
              CHECK (outcome IN ('ok', 'retry', 'failed', 'skipped')),
  message     text,
  payload     jsonb
);
CREATE INDEX sync_log_at ON sync_log (at);
CREATE INDEX sync_log_entity ON sync_log (entity, entity_id, at);

-- Work that could not be processed, with the reason; kept unmasked because
-- it must be replayable, and marked when replayed.
CREATE TABLE dead_letter (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  source       text        NOT NULL,
  entity       text        NOT NULL,
  entity_id    text        NOT NULL,
  reason       text        NOT NULL,
  payload      jsonb,
  replayed_at  timestamptz,
  replay_count integer     NOT NULL DEFAULT 0
);
CREATE INDEX dead_letter_open ON dead_letter (at) WHERE replayed_at IS NULL;

-- Who did what (approvals, replays, configuration changes); `detail` is
-- masked before it is written.
CREATE TABLE audit (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  actor     text        NOT NULL,
  action    text        NOT NULL,
  entity    text        NOT NULL,
  entity_id text,
  detail    jsonb
);
CREATE INDEX audit_entity ON audit (entity, entity_id, at);

-- The counts and page cursor of `ferry sync products --full` (issue 6):
-- `done`/`failed` of 0300 cannot tell read, written, skipped and
-- dead-lettered items apart. `position` holds the ERP page token to resume
-- from, committed after the page's shop writes succeeded.
ALTER TABLE job
  ADD COLUMN pages         bigint NOT NULL DEFAULT 0,
  ADD COLUMN read_count    bigint NOT NULL DEFAULT 0,
  ADD COLUMN written       bigint NOT NULL DEFAULT 0,
  ADD COLUMN skipped       bigint NOT NULL DEFAULT 0,
  ADD COLUMN dead_lettered bigint NOT NULL DEFAULT 0;

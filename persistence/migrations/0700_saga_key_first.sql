-- Saga rows are looked up by key (the order's increment_id) within a kind.
-- With kind first, a plan made while the table's statistics were young
-- (every fresh or fast-growing table) used the unique index on kind alone,
-- which every order saga matches, and filtered the keys of a batch of
-- transitions out of all of them. Key first, the index serves only lookups
-- by key, which is every use it has.
ALTER TABLE saga DROP CONSTRAINT saga_kind_key_key;
ALTER TABLE saga ADD CONSTRAINT saga_key_kind_key UNIQUE (key, kind);

-- Saga rows are found by (kind, key) and claimed through the runnable
-- sagas' partial index; nothing reads them by (kind, state). The index cost
-- an entry at every transition, and a plan made while the table was small
-- picked it to scan every saga of the kind for a group-committed batch of
-- transitions instead of looking each key up.
DROP INDEX saga_kind_state;

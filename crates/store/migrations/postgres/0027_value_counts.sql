-- Counts of the values of indexed option fields, so that a count filtered on one option does
-- not read every matching item (issue 17: 195 ms for a fifth of a million items). A field is
-- counted once `counted_fields` names it: its index build fills the counts under a lock on
-- items that holds writes back (SHARE ROW EXCLUSIVE: no write slips between the fill and the
-- trigger, and one fill at a time), and from then on the trigger below keeps them in the
-- writing transaction. Counts are split in shards (by the writing backend) so that concurrent
-- writers of one value do not queue on one row; a read sums them.
CREATE TABLE counted_fields (
    workspace_id BIGINT NOT NULL,
    type_id BIGINT NOT NULL,
    field_id BIGINT NOT NULL,
    -- The key the value is read at: `data->>ref_id`, the field's list and index expression.
    ref_id TEXT NOT NULL,
    PRIMARY KEY (workspace_id, type_id, field_id)
);

CREATE TABLE value_counts (
    workspace_id BIGINT NOT NULL,
    type_id BIGINT NOT NULL,
    field_id BIGINT NOT NULL,
    value TEXT NOT NULL,
    shard INT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, type_id, field_id, value, shard)
);

-- One statement per change (measured: a loop over the counted fields with an upsert each cost
-- a create about 5% of its CPU; this halves the trigger's statements). Old and new values of
-- one field differ when both are written, so no statement touches one count row twice.
CREATE FUNCTION count_item_values() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    writer_shard INT := pg_backend_pid() % 32;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO value_counts AS c
        SELECT NEW.workspace_id, NEW.type_id, f.field_id, NEW.data ->> f.ref_id, writer_shard, 1
        FROM counted_fields f
        WHERE f.workspace_id = NEW.workspace_id AND f.type_id = NEW.type_id AND NEW.data ->> f.ref_id IS NOT NULL
        ON CONFLICT (workspace_id, type_id, field_id, value, shard) DO UPDATE SET n = c.n + 1;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO value_counts AS c
        SELECT OLD.workspace_id, OLD.type_id, f.field_id, OLD.data ->> f.ref_id, writer_shard, -1
        FROM counted_fields f
        WHERE f.workspace_id = OLD.workspace_id AND f.type_id = OLD.type_id AND OLD.data ->> f.ref_id IS NOT NULL
        ON CONFLICT (workspace_id, type_id, field_id, value, shard) DO UPDATE SET n = c.n - 1;
    ELSE
        INSERT INTO value_counts AS c
        SELECT NEW.workspace_id, NEW.type_id, f.field_id, v.value, writer_shard, v.n
        FROM counted_fields f
        CROSS JOIN LATERAL (VALUES (OLD.data ->> f.ref_id, -1), (NEW.data ->> f.ref_id, 1)) AS v (value, n)
        WHERE f.workspace_id = NEW.workspace_id AND f.type_id = NEW.type_id
          AND (OLD.data ->> f.ref_id) IS DISTINCT FROM (NEW.data ->> f.ref_id) AND v.value IS NOT NULL
        ON CONFLICT (workspace_id, type_id, field_id, value, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;

-- SQLite counts from the field's index and needs no counts (its 0027).
CREATE TRIGGER items_count_values AFTER INSERT OR UPDATE OF data OR DELETE ON items -- PostgreSQL only
    FOR EACH ROW EXECUTE FUNCTION count_item_values();

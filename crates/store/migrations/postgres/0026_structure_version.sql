-- A workspace's structure version: bumped, in the same transaction, by every change to its
-- types, fields, flows and flow stages. Processes cache a type's definition (with its fields,
-- and whether it starts flows) under the version they read with the request's workspace, so a
-- change made through any process is seen by every other one at its next request.
ALTER TABLE workspaces ADD COLUMN structure_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_structure_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.workspace_id ELSE NEW.workspace_id END;
    RETURN NULL;
END
$$;

CREATE TRIGGER types_structure_insert AFTER INSERT ON types
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER types_structure_update AFTER UPDATE ON types
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER types_structure_delete AFTER DELETE ON types
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER fields_structure_insert AFTER INSERT ON fields
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER fields_structure_update AFTER UPDATE ON fields
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER fields_structure_delete AFTER DELETE ON fields
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER flows_structure_insert AFTER INSERT ON flows
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER flows_structure_update AFTER UPDATE ON flows
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER flows_structure_delete AFTER DELETE ON flows
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER flow_stages_structure_insert AFTER INSERT ON flow_stages
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER flow_stages_structure_update AFTER UPDATE ON flow_stages
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();
CREATE TRIGGER flow_stages_structure_delete AFTER DELETE ON flow_stages
    FOR EACH ROW EXECUTE FUNCTION bump_structure_version();

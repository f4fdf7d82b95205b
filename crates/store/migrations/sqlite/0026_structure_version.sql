-- A workspace's structure version: bumped, in the same transaction, by every change to its
-- types, fields, flows and flow stages. Processes cache a type's definition (with its fields,
-- and whether it starts flows) under the version they read with the request's workspace, so a
-- change is seen at the next request.
ALTER TABLE workspaces ADD COLUMN structure_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER types_structure_insert AFTER INSERT ON types BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER types_structure_update AFTER UPDATE ON types BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER types_structure_delete AFTER DELETE ON types BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = OLD.workspace_id;
END;

CREATE TRIGGER fields_structure_insert AFTER INSERT ON fields BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER fields_structure_update AFTER UPDATE ON fields BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER fields_structure_delete AFTER DELETE ON fields BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = OLD.workspace_id;
END;

CREATE TRIGGER flows_structure_insert AFTER INSERT ON flows BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER flows_structure_update AFTER UPDATE ON flows BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER flows_structure_delete AFTER DELETE ON flows BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = OLD.workspace_id;
END;

CREATE TRIGGER flow_stages_structure_insert AFTER INSERT ON flow_stages BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER flow_stages_structure_update AFTER UPDATE ON flow_stages BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = NEW.workspace_id;
END;

CREATE TRIGGER flow_stages_structure_delete AFTER DELETE ON flow_stages BEGIN
    UPDATE workspaces SET structure_version = structure_version + 1 WHERE id = OLD.workspace_id;
END;

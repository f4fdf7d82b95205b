-- Installed integrations: non-secret settings in `data`; secrets sealed (XChaCha20-Poly1305
-- under the master key, bound to the row) in `secrets`; one installation per `unique_key`
-- (the type, or for WhatsApp the type and phone number) per workspace.
ALTER TABLE integrations ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
ALTER TABLE integrations ADD COLUMN secrets TEXT;
ALTER TABLE integrations ADD COLUMN unique_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX integrations_unique ON integrations (workspace_id, unique_key);

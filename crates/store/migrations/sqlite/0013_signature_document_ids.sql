-- Some providers name the document, not the envelope, in their callbacks (Clicksign): the
-- document's id is kept beside the envelope's, and callbacks are matched on either.
ALTER TABLE signature_requests ADD COLUMN provider_document_id TEXT;
CREATE INDEX signature_requests_document ON signature_requests (provider, provider_document_id);

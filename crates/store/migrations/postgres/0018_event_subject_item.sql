-- The item an event's subject belongs to when the subject is not the item itself (a signature
-- request, later a flow item or a task): `subject.item = {id, reference}` (decision 64). Events
-- migrated from item history named the item in subject_reference; it moves here.
ALTER TABLE events ADD COLUMN item_reference TEXT;
UPDATE events SET item_reference = subject_reference, subject_reference = NULL
    WHERE subject_type <> 'item' AND item_id IS NOT NULL;

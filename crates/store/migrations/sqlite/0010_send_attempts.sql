-- When an outbound message's last send attempt started: an attempt interrupted by a crash may
-- have reached the provider, so the next one looks the message up there before sending again.
ALTER TABLE conversation_messages ADD COLUMN attempt_started_at BIGINT;

-- When an email's last send attempt started: an attempt interrupted by a crash or a timeout may
-- have reached SendGrid, so the next one looks the email up in SendGrid's activity first.
ALTER TABLE emails ADD COLUMN attempt_started_at BIGINT;

//! Migrations, embedded in the binary, one set per backend with identical version numbers.
//!
//! sqlx's migrator applies them (checksums, and on PostgreSQL an advisory lock so that several
//! processes starting at once migrate exactly once); the files are embedded with `include_str!`
//! rather than sqlx's proc macro, which keeps the macro crates out of the build.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{db::Db, error::Result};

/// (version, description, SQLite text, PostgreSQL text)
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/sqlite/0001_foundation.sql"),
        include_str!("../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "data_engine",
        include_str!("../migrations/sqlite/0002_data_engine.sql"),
        include_str!("../migrations/postgres/0002_data_engine.sql"),
    ),
    (
        3,
        "item_scope",
        include_str!("../migrations/sqlite/0003_item_scope.sql"),
        include_str!("../migrations/postgres/0003_item_scope.sql"),
    ),
    (
        4,
        "access",
        include_str!("../migrations/sqlite/0004_access.sql"),
        include_str!("../migrations/postgres/0004_access.sql"),
    ),
    (
        5,
        "integrations",
        include_str!("../migrations/sqlite/0005_integrations.sql"),
        include_str!("../migrations/postgres/0005_integrations.sql"),
    ),
    (
        6,
        "jobs",
        include_str!("../migrations/sqlite/0006_jobs.sql"),
        include_str!("../migrations/postgres/0006_jobs.sql"),
    ),
    (
        7,
        "emails",
        include_str!("../migrations/sqlite/0007_emails.sql"),
        include_str!("../migrations/postgres/0007_emails.sql"),
    ),
    (
        8,
        "whatsapp",
        include_str!("../migrations/sqlite/0008_whatsapp.sql"),
        include_str!("../migrations/postgres/0008_whatsapp.sql"),
    ),
    (
        9,
        "ai_usage",
        include_str!("../migrations/sqlite/0009_ai_usage.sql"),
        include_str!("../migrations/postgres/0009_ai_usage.sql"),
    ),
    (
        10,
        "send_attempts",
        include_str!("../migrations/sqlite/0010_send_attempts.sql"),
        include_str!("../migrations/postgres/0010_send_attempts.sql"),
    ),
    (
        11,
        "email_attempts",
        include_str!("../migrations/sqlite/0011_email_attempts.sql"),
        include_str!("../migrations/postgres/0011_email_attempts.sql"),
    ),
    (
        12,
        "signature_requests",
        include_str!("../migrations/sqlite/0012_signature_requests.sql"),
        include_str!("../migrations/postgres/0012_signature_requests.sql"),
    ),
    (
        13,
        "signature_document_ids",
        include_str!("../migrations/sqlite/0013_signature_document_ids.sql"),
        include_str!("../migrations/postgres/0013_signature_document_ids.sql"),
    ),
    (
        14,
        "background_deletion",
        include_str!("../migrations/sqlite/0014_background_deletion.sql"),
        include_str!("../migrations/postgres/0014_background_deletion.sql"),
    ),
    (
        15,
        "events",
        include_str!("../migrations/sqlite/0015_events.sql"),
        include_str!("../migrations/postgres/0015_events.sql"),
    ),
    (
        16,
        "event_retention",
        include_str!("../migrations/sqlite/0016_event_retention.sql"),
        include_str!("../migrations/postgres/0016_event_retention.sql"),
    ),
    (
        17,
        "webhooks",
        include_str!("../migrations/sqlite/0017_webhooks.sql"),
        include_str!("../migrations/postgres/0017_webhooks.sql"),
    ),
    (
        18,
        "event_subject_item",
        include_str!("../migrations/sqlite/0018_event_subject_item.sql"),
        include_str!("../migrations/postgres/0018_event_subject_item.sql"),
    ),
    (
        19,
        "calendars",
        include_str!("../migrations/sqlite/0019_calendars.sql"),
        include_str!("../migrations/postgres/0019_calendars.sql"),
    ),
    (
        20,
        "flows",
        include_str!("../migrations/sqlite/0020_flows.sql"),
        include_str!("../migrations/postgres/0020_flows.sql"),
    ),
    (
        21,
        "stage_tasks",
        include_str!("../migrations/sqlite/0021_stage_tasks.sql"),
        include_str!("../migrations/postgres/0021_stage_tasks.sql"),
    ),
    (
        22,
        "responsibility_rules",
        include_str!("../migrations/sqlite/0022_responsibility_rules.sql"),
        include_str!("../migrations/postgres/0022_responsibility_rules.sql"),
    ),
    (
        23,
        "schedule_tasks",
        include_str!("../migrations/sqlite/0023_schedule_tasks.sql"),
        include_str!("../migrations/postgres/0023_schedule_tasks.sql"),
    ),
    (
        24,
        "quick_tasks",
        include_str!("../migrations/sqlite/0024_quick_tasks.sql"),
        include_str!("../migrations/postgres/0024_quick_tasks.sql"),
    ),
    (
        25,
        "deadline_notifications",
        include_str!("../migrations/sqlite/0025_deadline_notifications.sql"),
        include_str!("../migrations/postgres/0025_deadline_notifications.sql"),
    ),
    (
        26,
        "structure_version",
        include_str!("../migrations/sqlite/0026_structure_version.sql"),
        include_str!("../migrations/postgres/0026_structure_version.sql"),
    ),
    (
        27,
        "value_counts",
        include_str!("../migrations/sqlite/0027_value_counts.sql"),
        include_str!("../migrations/postgres/0027_value_counts.sql"),
    ),
];

fn migrator(postgres: bool) -> Migrator {
    let migrations: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|(version, description, sqlite, pg)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                Cow::Borrowed(if postgres { *pg } else { *sqlite }),
                false,
            )
        })
        .collect();
    Migrator { migrations: Cow::Owned(migrations), ignore_missing: false, locking: true, no_tx: false }
}

/// Applies every pending migration.
pub async fn run(db: &Db) -> Result<()> {
    if let Some(path) = db.sqlite_path() {
        // sqlx's migrator on a connection of its own (the server's SQLite connections are
        // rusqlite's), so that migrations keep their bookkeeping and checksums as before.
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        let result = migrator(false).run(&pool).await;
        pool.close().await;
        result?;
    }
    if let Some(pool) = db.pg_pool() {
        migrator(true).run(pool).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQLITE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    const PG_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");

    fn versions(dir: &str) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let sqlite = versions(SQLITE_DIR);
        assert_eq!(sqlite, versions(PG_DIR), "migration files must match by name and version");
        assert_eq!(sqlite.len(), MIGRATIONS.len(), "every migration file must be embedded");
        for (i, (version, description, _, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(sqlite[i], format!("{version:04}_{description}.sql"));
        }
    }

    /// The two texts must create the same tables, indexes and triggers (PostgreSQL's trigger
    /// functions have no SQLite counterpart: a SQLite trigger carries its body). An object one
    /// backend alone needs says so on its line (`-- PostgreSQL only`, with the reason nearby).
    #[test]
    fn both_backends_create_the_same_objects() {
        fn objects(sql: &str) -> Vec<String> {
            sql.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("CREATE ") && !l.starts_with("CREATE FUNCTION"))
                .filter(|l| !l.ends_with("-- PostgreSQL only"))
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .collect()
        }
        for (_, _, sqlite, pg) in MIGRATIONS {
            assert_eq!(objects(sqlite), objects(pg));
        }
    }
}

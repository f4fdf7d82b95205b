//! sqlx vs rusqlite on the statements of the item path (docs/performance.md, "Driver").
//!
//! `cargo bench -p enspace-store --bench sqlite_drivers`. Both drivers link the same bundled
//! SQLite (libsqlite3-sys), so the difference is the driver: sqlx runs each statement on a
//! worker thread per connection and hands results back through channels; rusqlite is called
//! inline. Synchronous commits are off here so that disk syncs do not hide the driver's cost.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Row,
};

const ROWS: i64 = 100_000;
const READS: usize = 20_000;
const WRITES: usize = 5_000;
const TASKS: usize = 64;

fn report(label: &str, ops: usize, took: Duration) {
    println!(
        "| {label} | {:.0}/s | {:.1} µs |",
        ops as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / ops as f64
    );
}

fn reference(i: i64) -> String {
    format!("PED{i:029X}")
}

fn main() {
    let dir = std::env::temp_dir().join(format!("enspace-driver-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
             CREATE TABLE items (id INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE, type_id INTEGER NOT NULL, data TEXT NOT NULL);
             CREATE TABLE history (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, changes TEXT NOT NULL);",
        )
        .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        {
            let mut insert = tx.prepare("INSERT INTO items (reference, type_id, data) VALUES (?1, 2, ?2)").unwrap();
            for i in 0..ROWS {
                insert
                    .execute(rusqlite::params![reference(i), format!("{{\"total\": {i}, \"estado\": \"aberto\"}}")])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("| measure | rate | per operation |\n|---|---|---|");
    runtime.block_on(async {
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Off);
        let readers = SqlitePoolOptions::new().max_connections(4).connect_with(options.clone()).await.unwrap();
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();

        // One task, one statement at a time.
        let started = Instant::now();
        for i in 0..READS {
            let row = sqlx::query("SELECT id, data FROM items WHERE reference = ?1")
                .bind(reference(i as i64 * 7 % ROWS))
                .fetch_one(&readers)
                .await
                .unwrap();
            let _: i64 = row.get("id");
        }
        report("sqlx: get by reference, 1 task", READS, started.elapsed());

        let conn = rusqlite::Connection::open(&path).unwrap();
        let started = Instant::now();
        for i in 0..READS {
            let mut select = conn.prepare_cached("SELECT id, data FROM items WHERE reference = ?1").unwrap();
            let _: i64 = select.query_row([reference(i as i64 * 7 % ROWS)], |r| r.get(0)).unwrap();
        }
        report("rusqlite inline: get by reference, 1 task", READS, started.elapsed());

        // Many tasks at once, as a server under load.
        let started = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let readers = readers.clone();
                tokio::spawn(async move {
                    for i in 0..READS / TASKS {
                        let _ = sqlx::query("SELECT id, data FROM items WHERE reference = ?1")
                            .bind(reference(((t * 1000 + i) as i64 * 13) % ROWS))
                            .fetch_one(&readers)
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        report("sqlx: get by reference, 64 tasks, 4 connections", READS / TASKS * TASKS, started.elapsed());

        let pool: Arc<Vec<Mutex<rusqlite::Connection>>> =
            Arc::new((0..4).map(|_| Mutex::new(rusqlite::Connection::open(&path).unwrap())).collect());
        let started = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    for i in 0..READS / TASKS {
                        {
                            let conn = pool[(t + i) % pool.len()].lock().unwrap();
                            let mut select =
                                conn.prepare_cached("SELECT id, data FROM items WHERE reference = ?1").unwrap();
                            let _: i64 = select
                                .query_row([reference(((t * 1000 + i) as i64 * 13) % ROWS)], |r| r.get(0))
                                .unwrap();
                        }
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        report("rusqlite inline: get by reference, 64 tasks, 4 connections", READS / TASKS * TASKS, started.elapsed());

        // The shape of a create: look up a related item, insert the item and its history.
        let started = Instant::now();
        for i in 0..WRITES {
            let mut tx = writer.begin().await.unwrap();
            let _ =
                sqlx::query("SELECT id FROM items WHERE id = ?1").bind(i as i64 + 1).fetch_one(&mut *tx).await.unwrap();
            let id: i64 = sqlx::query("INSERT INTO items (reference, type_id, data) VALUES (?1, 2, ?2) RETURNING id")
                .bind(format!("NEW{i:029X}"))
                .bind("{\"total\": 1}")
                .fetch_one(&mut *tx)
                .await
                .unwrap()
                .get(0);
            sqlx::query("INSERT INTO history (item_id, changes) VALUES (?1, '{}')")
                .bind(id)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        report("sqlx: create-shaped transaction (4 statements)", WRITES, started.elapsed());

        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "synchronous", "OFF").unwrap();
        let started = Instant::now();
        for i in 0..WRITES {
            let tx = conn.transaction().unwrap();
            {
                let _: i64 = tx
                    .prepare_cached("SELECT id FROM items WHERE id = ?1")
                    .unwrap()
                    .query_row([i as i64 + 1], |r| r.get(0))
                    .unwrap();
                let id: i64 = tx
                    .prepare_cached("INSERT INTO items (reference, type_id, data) VALUES (?1, 2, ?2) RETURNING id")
                    .unwrap()
                    .query_row(rusqlite::params![format!("RUS{i:029X}"), "{\"total\": 1}"], |r| r.get(0))
                    .unwrap();
                tx.prepare_cached("INSERT INTO history (item_id, changes) VALUES (?1, '{}')")
                    .unwrap()
                    .execute([id])
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        report("rusqlite inline: create-shaped transaction (4 statements)", WRITES, started.elapsed());
    });
    let _ = std::fs::remove_dir_all(&dir);
}

use enspace_store::{Db, DbOptions};
use sqlx::{Connection, Executor, PgConnection};

/// A database that exists for one test: a SQLite file in a temporary directory, or, when
/// `ENSPACE_TEST_DATABASE_URL` is set, a PostgreSQL database created now and dropped on drop.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

pub const POSTGRES_ENV: &str = "ENSPACE_TEST_DATABASE_URL";

/// `postgres://u@h:5432/db?x` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_end = without_query.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match without_query[authority_end..].find('/') {
        Some(slash) => &without_query[..authority_end + slash],
        None => without_query,
    };
    format!("{base}/{name}{query}")
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("enspace_test_{}", ulid::Ulid::new().to_string().to_lowercase());
                let mut conn = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("{POSTGRES_ENV} is set but PostgreSQL is not reachable at {admin_url}: {e}")
                });
                conn.execute(format!("CREATE DATABASE \"{name}\"").as_str()).await.expect("CREATE DATABASE");
                let _ = conn.close().await;
                TestDatabase { url: with_database(&admin_url, &name), postgres: Some((admin_url, name)), _dir: None }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("enspace.db").display());
                TestDatabase { url, postgres: None, _dir: Some(dir) }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    pub async fn connect(&self) -> Db {
        Db::connect(&DbOptions { url: self.url.clone(), max_connections: 4 }).await.expect("connect to test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else { return };
        // Drop runs outside async; a short-lived runtime on its own thread removes the database.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    let _ = conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str()).await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(with_database("postgres://u@h:5432", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(with_database("postgres://u@h/db?sslmode=disable", "t1"), "postgres://u@h/t1?sslmode=disable");
    }
}

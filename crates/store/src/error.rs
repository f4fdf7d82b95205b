use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write (a taken reference, a duplicate email).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A unique field's index refused the write: the value of field `.0` is taken.
    #[error("conflict: the value of unique field {0} is taken")]
    UniqueField(i64),
    #[error("not found")]
    NotFound,
    /// A row did not have the shape the code expected: a bug, never a client error.
    #[error("unexpected row shape: {0}")]
    Decode(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    /// A grouped write's batch could not be committed (or the database closed first).
    #[error("commit failed: {0}")]
    Commit(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn from_sqlx(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.message().to_string());
            }
        }
        StoreError::Database(error)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

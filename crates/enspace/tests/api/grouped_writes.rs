//! Grouped writes (store::group): concurrent writes share commits, a failed one undoes only its
//! own work, a write dropped mid-way (a cancelled request) leaves nothing behind, and other
//! writers are never kept waiting by an idle batch. On PostgreSQL a batch is a plain
//! transaction, and the same assertions hold.

use enspace_store::{Db, StoreError};
use enspace_testkit::TestApp;

async fn names(db: &Db) -> Vec<String> {
    db.fetch_all("SELECT name FROM roles ORDER BY name", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.text("name").unwrap())
        .collect()
}

async fn write(db: Db, name: String, fail: bool) -> Result<(), StoreError> {
    let mut batch = db.grouped().await?;
    let result = batch
        .tx()
        .execute("INSERT INTO roles (workspace_id, name, created_at, updated_at) VALUES (1, $1, 1, 1)", &[name.into()])
        .await
        .map(|_| ());
    let result = if fail { result.and(Err(StoreError::NotFound)) } else { result };
    batch.finish(result).await
}

#[tokio::test]
async fn concurrent_writes_commit_and_failures_undo_only_their_own() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    let writes: Vec<_> = (0..40).map(|i| tokio::spawn(write(app.db.clone(), format!("r{i:02}"), i % 4 == 3))).collect();
    let mut outcomes = Vec::new();
    for w in writes {
        outcomes.push(w.await.unwrap().is_ok());
    }
    assert_eq!(outcomes, (0..40).map(|i| i % 4 != 3).collect::<Vec<_>>());
    let expected: Vec<String> = (0..40).filter(|i| i % 4 != 3).map(|i| format!("r{i:02}")).collect();
    // Read on the reader pool: everything answered Ok is committed.
    assert_eq!(names(&app.db).await, expected);
}

#[tokio::test]
async fn a_dropped_write_leaves_nothing_and_blocks_no_one() {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    {
        let mut batch = app.db.grouped().await.unwrap();
        batch
            .tx()
            .execute("INSERT INTO roles (workspace_id, name, created_at, updated_at) VALUES (1, 'gone', 1, 1)", &[])
            .await
            .unwrap();
        // Dropped without finish: the request was cancelled.
    }
    // A plain transaction gets the writer (the flusher ended the abandoned batch)...
    app.db
        .execute("INSERT INTO roles (workspace_id, name, created_at, updated_at) VALUES (1, 'plain', 1, 1)", &[])
        .await
        .unwrap();
    // ...and a grouped write after it commits without the abandoned work.
    write(app.db.clone(), "kept".into(), false).await.unwrap();
    assert_eq!(names(&app.db).await, ["kept", "plain"]);
}

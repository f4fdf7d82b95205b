//! `enspace user create`, `enspace user set-password`, and the first-run administrator.

use anyhow::{bail, Context};
use enspace_domain::key::{self, Scope, Scopes};
use enspace_store::{api_keys::NewApiKey, users::UserRecord, Db, Tx};

use crate::config::UserCreateArgs;

/// The password `user create --password` sets: asked for twice on the terminal without echo,
/// or the first line of standard input when that is not a terminal (scripts, tests).
pub fn read_new_password(email: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    if let Err(message) = enspace_domain::password::check_password(&password) {
        bail!("the password {message}");
    }
    Ok(password)
}

/// Finds or creates the user and issues a key (and sets `password`, when given); answers the
/// key's secret.
pub async fn create(db: &Db, args: &UserCreateArgs, password: Option<&str>) -> anyhow::Result<String> {
    if let Err(message) = enspace_domain::user::check_email(&args.email) {
        bail!("--email: {message}");
    }
    let mut scopes = Vec::new();
    for name in &args.scopes {
        scopes.push(Scope::parse(name.trim()).with_context(|| format!("--scopes: unknown scope {name:?}"))?);
    }
    if scopes.is_empty() {
        bail!("--scopes: name at least one of read, write, delete");
    }
    let user = match enspace_store::users::find_by_email(db, &args.email).await? {
        Some(user) => user,
        None => {
            let mut tx = db.begin().await?;
            let user = enspace_store::users::create(&mut tx, &args.email, args.fname.as_deref(), args.lname.as_deref())
                .await?;
            tx.commit().await?;
            eprintln!("created user {} (id {})", user.email, user.id);
            user
        }
    };
    let all = args.workspaces.iter().any(|w| w.trim() == "*");
    let workspace_ids = if all {
        Vec::new()
    } else {
        let references: Vec<String> = args.workspaces.iter().map(|w| w.trim().to_string()).collect();
        let found = enspace_store::workspaces::member_workspace_ids(db, user.id, &references).await?;
        if let Some(missing) = references.iter().find(|r| !found.contains_key(*r)) {
            bail!("--workspaces: {} is not a member of {missing:?}", user.email);
        }
        found.into_values().collect()
    };
    let mut tx = db.begin().await?;
    let secret =
        issue_key(&mut tx, &user, &args.key_description, Scopes::from_list(&scopes), all, &workspace_ids).await?;
    if let Some(password) = password {
        let hash = enspace_domain::password::hash_password(password);
        enspace_store::users::set_password(&mut tx, user.id, &hash).await?;
    }
    tx.commit().await?;
    Ok(secret)
}

/// Sets (or replaces) the login password of an existing user, and makes an invited user active.
pub async fn set_password(db: &Db, email: &str, password: &str) -> anyhow::Result<()> {
    if let Err(message) = enspace_domain::password::check_password(password) {
        bail!("the password {message}");
    }
    let user = enspace_store::users::find_by_email(db, email).await?.with_context(|| format!("no user {email:?}"))?;
    let hash = enspace_domain::password::hash_password(password);
    let mut tx = db.begin().await?;
    enspace_store::users::set_password(&mut tx, user.id, &hash).await?;
    tx.commit().await?;
    Ok(())
}

async fn issue_key(
    tx: &mut Tx,
    user: &UserRecord,
    description: &str,
    scopes: Scopes,
    all_workspaces: bool,
    workspace_ids: &[i64],
) -> anyhow::Result<String> {
    let issued = key::issue();
    enspace_store::api_keys::create(
        tx,
        NewApiKey {
            user_id: user.id,
            reference: &issued.reference,
            digest: &issued.digest,
            description,
            scopes,
            all_workspaces,
            workspace_ids,
            expires_at: None,
        },
        enspace_domain::time::now_ms(),
    )
    .await?;
    Ok(issued.secret)
}

/// On the first start of an empty database: the administrator, with one key that can do
/// everything. Answers the key, to print once; `None` on every later start.
pub async fn first_run(db: &Db, admin_email: &str) -> anyhow::Result<Option<(UserRecord, String)>> {
    let mut tx = db.begin().await?;
    if !enspace_store::install::claim_first_run(&mut tx).await? {
        tx.commit().await?;
        return Ok(None);
    }
    // One transaction: a crash cannot leave an administrator without a key.
    let user = enspace_store::users::create(&mut tx, admin_email, None, None).await?;
    let secret = issue_key(&mut tx, &user, "First-run administrator key", Scopes::EVERY, true, &[]).await?;
    tx.commit().await?;
    Ok(Some((user, secret)))
}

//! A person's own account as commands: sign in (with its failure counters), sign out, accept an
//! invitation, change the profile, issue and revoke API keys. Passwords are argon2id hashes,
//! computed off the async threads; session tokens and keys are stored as digests.

use std::time::Duration;

use enspace_domain::{
    key::{self, ExpiresIn, Scopes},
    password::{self, INVITATION_PREFIX, SESSION_PREFIX},
    time::now_ms,
    user::normalize_email,
};
use enspace_store::{
    api_keys::{ApiKeyRecord, NewApiKey},
    users::{UserPatch, UserRecord},
    Db, StoreError,
};

/// How long a session lasts [ours].
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
/// Failed logins, counted over a window [ours]. The hard lock is per account *and* address, so
/// guessing one account's password from one place stops it there without locking that account
/// for everybody else, nor locking everybody behind a shared address (an office NAT) out of
/// their own accounts. Any counter past a few failures slows the answers; the address alone
/// refuses too, but only at a much higher number (a guesser spraying many accounts).
const FAILURE_WINDOW_MS: i64 = 15 * 60 * 1000;
const FAILURES_BEFORE_SLOWING: i64 = 3;
const SLOWED_BY: Duration = Duration::from_millis(200);
const LOCK_MS: i64 = 15 * 60 * 1000;
/// Failures of one email from one address before its logins there are refused.
pub const FAILURES_BEFORE_LOCK: i64 = 10;
/// Failures from one address, over every email, before all its logins are refused.
pub const ADDRESS_FAILURES_BEFORE_LOCK: i64 = 100;

/// A new session: the token (shown once) and when it expires.
pub struct Session {
    pub token: String,
    pub expires_at: i64,
}

#[derive(Debug)]
pub enum SignInError {
    /// Too many failures: refused for this many more seconds.
    Locked(u64),
    /// A wrong email and a wrong password are the same answer after the same work.
    BadCredentials,
    /// The invitation is unknown, expired or already taken.
    BadInvitation,
    Store(StoreError),
    Internal(String),
}

impl From<StoreError> for SignInError {
    fn from(e: StoreError) -> Self {
        SignInError::Store(e)
    }
}

async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, SignInError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| SignInError::Internal(e.to_string()))
}

async fn start_session(db: &Db, user_id: i64) -> Result<Session, StoreError> {
    let (token, digest) = password::issue_token(SESSION_PREFIX);
    let now = now_ms();
    let expires_at = now + SESSION_TTL_MS;
    enspace_store::sessions::create(db, user_id, &digest, now, expires_at).await?;
    Ok(Session { token, expires_at })
}

/// Email and password for a session, from `address`. An unknown email is checked against a
/// decoy hash, so it costs what a wrong password costs.
pub async fn sign_in(db: &Db, email: &str, given: String, address: &str) -> Result<Session, SignInError> {
    let email_key = normalize_email(email);
    // Each counter with the failures that lock it (none for the email: it only slows).
    let counters = [
        (format!("pair:{address}:{email_key}"), FAILURES_BEFORE_LOCK),
        (format!("address:{address}"), ADDRESS_FAILURES_BEFORE_LOCK),
        (format!("email:{email_key}"), i64::MAX),
    ];
    let now = now_ms();
    for (counter, _) in &counters {
        if let Some(until) = enspace_store::sessions::locked_until(db, counter, now).await? {
            return Err(SignInError::Locked(((until - now) as u64).div_ceil(1000)));
        }
    }
    let found = enspace_store::users::credentials(db, email).await?;
    let hash = match &found {
        Some(c) if c.status == "active" => c.password_hash.clone(),
        _ => None,
    };
    let matched = off_thread(move || {
        let checked = hash.as_deref().unwrap_or(password::decoy_hash());
        password::verify_password(&given, checked) && hash.is_some()
    })
    .await?;
    if let Some(credentials) = found.filter(|_| matched) {
        enspace_store::sessions::clear_failures(db, &counters[0].0).await?;
        return Ok(start_session(db, credentials.user.id).await?);
    }
    let mut worst = 0;
    for (counter, lock_at) in &counters {
        let failures =
            enspace_store::sessions::record_failure(db, counter, now, FAILURE_WINDOW_MS, *lock_at, LOCK_MS).await?;
        worst = worst.max(failures);
    }
    if worst > FAILURES_BEFORE_SLOWING {
        tokio::time::sleep(SLOWED_BY).await;
    }
    Err(SignInError::BadCredentials)
}

/// Ends a session.
pub async fn sign_out(db: &Db, session_id: i64) -> Result<(), StoreError> {
    enspace_store::sessions::delete(db, session_id).await.map(|_| ())
}

/// Accepts an invitation: sets the new user's password (and names) and starts a session. An
/// invitation only ever sets the password of a user who has none, so a link can never take
/// over an account that is already in use.
pub async fn accept_invitation(
    db: &Db,
    token: &str,
    new_password: String,
    fname: Option<&str>,
    lname: Option<&str>,
) -> Result<Session, SignInError> {
    if !password::is_token(token, INVITATION_PREFIX) {
        return Err(SignInError::BadInvitation);
    }
    let hash = off_thread(move || password::hash_password(&new_password)).await?;
    let mut tx = db.begin().await?;
    let Some(user_id) = enspace_store::sessions::take_invitation(&mut tx, &key::digest(token), now_ms()).await? else {
        return Err(SignInError::BadInvitation);
    };
    if !enspace_store::users::activate(&mut tx, user_id, &hash, fname, lname).await? {
        return Err(SignInError::BadInvitation);
    }
    tx.commit().await?;
    Ok(start_session(db, user_id).await?)
}

/// Changes the caller's names and language.
pub async fn update_profile(db: &Db, user_id: i64, patch: UserPatch) -> Result<UserRecord, StoreError> {
    enspace_store::users::update(db, user_id, patch).await
}

/// Issues an API key; the answer's secret is shown once and stored as a digest.
pub async fn create_key(db: &Db, new: NewKey<'_>) -> Result<(ApiKeyRecord, String), StoreError> {
    let issued = key::issue();
    // One instant for the creation and the expiry it counts from.
    let now = now_ms();
    let mut tx = db.begin().await?;
    let created = enspace_store::api_keys::create(
        &mut tx,
        NewApiKey {
            user_id: new.user_id,
            reference: &issued.reference,
            digest: &issued.digest,
            description: new.description,
            scopes: new.scopes,
            all_workspaces: new.all_workspaces,
            workspace_ids: new.workspace_ids,
            expires_at: new.expires_in.expires_at(now),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((created, issued.secret))
}

/// A key to issue, checked.
pub struct NewKey<'a> {
    pub user_id: i64,
    pub description: &'a str,
    pub scopes: Scopes,
    pub all_workspaces: bool,
    pub workspace_ids: &'a [i64],
    pub expires_in: ExpiresIn,
}

/// Revokes one of the user's keys at once; `None` when it has no such key.
pub async fn revoke_key(db: &Db, user_id: i64, reference: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
    enspace_store::api_keys::revoke(db, user_id, reference).await
}

//! Rate limits [ours, spec/access.md]: a token bucket per API key, and per client address for
//! unauthenticated requests (including failed authentication, which slows key guessing).
//!
//! Buckets live in each process's memory: with N processes behind a load balancer a client's
//! effective limit is up to N times the configured rate. That is the usual trade for not adding
//! a database write to every request.

use std::{
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use governor::{
    clock::{Clock, DefaultClock},
    middleware::StateInformationMiddleware,
    state::keyed::DefaultKeyedStateStore,
    Quota, RateLimiter,
};

type Limiter<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

#[derive(Debug, Clone, Copy)]
pub struct RateSettings {
    /// One request's worth of capacity comes back every this long.
    pub replenish_every: Duration,
    pub burst: u32,
}

impl RateSettings {
    pub fn per_second(rate: u32, burst: u32) -> RateSettings {
        RateSettings { replenish_every: Duration::from_secs(1) / rate.max(1), burst }
    }
}

impl Default for RateSettings {
    fn default() -> Self {
        RateSettings::per_second(50, 100)
    }
}

/// One decision, for the `x-ratelimit-*` headers (and `Retry-After` when refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset: u64,
    /// Seconds to wait before the next request can pass, when this one was refused.
    pub retry_after: Option<u64>,
}

/// Whose bucket an authenticated request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Caller {
    Key(i64),
    Session(i64),
}

pub struct RateLimits {
    settings: RateSettings,
    keys: Limiter<Caller>,
    addresses: Limiter<IpAddr>,
    checks: AtomicU64,
}

/// How often (in checks) idle buckets are dropped, so memory follows active clients only.
const PRUNE_EVERY: u64 = 10_000;

impl RateLimits {
    pub fn new(settings: RateSettings) -> RateLimits {
        let burst = NonZeroU32::new(settings.burst.max(1)).expect("at least one");
        let every = settings.replenish_every.max(Duration::from_nanos(1));
        let quota = Quota::with_period(every).expect("a positive period").allow_burst(burst);
        RateLimits {
            settings: RateSettings { replenish_every: every, burst: burst.get() },
            keys: RateLimiter::dashmap(quota).with_middleware::<StateInformationMiddleware>(),
            addresses: RateLimiter::dashmap(quota).with_middleware::<StateInformationMiddleware>(),
            checks: AtomicU64::new(0),
        }
    }

    pub fn check_caller(&self, caller: Caller) -> Decision {
        self.check(&self.keys, &caller)
    }

    pub fn check_address(&self, address: IpAddr) -> Decision {
        self.check(&self.addresses, &address)
    }

    fn check<K: Clone + Hash + Eq>(&self, limiter: &Limiter<K>, key: &K) -> Decision {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.keys.retain_recent();
            self.addresses.retain_recent();
        }
        let RateSettings { replenish_every, burst } = self.settings;
        let reset = |remaining: u32| (replenish_every * (burst - remaining.min(burst))).as_secs_f64().ceil() as u64;
        match limiter.check_key(key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision { limit: burst, remaining, reset: reset(remaining), retry_after: None }
            }
            Err(not_until) => {
                let wait: Duration = not_until.wait_time_from(limiter.clock().now());
                let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Decision { limit: burst, remaining: 0, reset: reset(0), retry_after: Some(retry_after.max(1)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_per_key_with_burst_then_refusal() {
        let limits = RateLimits::new(RateSettings::per_second(1, 3));
        let seen: Vec<u32> = (0..3).map(|_| limits.check_caller(Caller::Key(7)).remaining).collect();
        assert_eq!(seen, [2, 1, 0]);
        let refused = limits.check_caller(Caller::Key(7));
        assert_eq!(refused, Decision { limit: 3, remaining: 0, reset: 3, retry_after: Some(1) });
        // Another key has its own bucket.
        assert_eq!(limits.check_caller(Caller::Key(8)).remaining, 2);
        assert_eq!(limits.check_address("127.0.0.1".parse().unwrap()).retry_after, None);
    }
}

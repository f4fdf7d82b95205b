//! Job retry policy.

/// Attempts a job gets by default before it is `failed` for good [ours].
pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;

/// The wait before retrying after failed attempt number `attempt` (1-based): 30 s doubling, at
/// most an hour (30 s, 1 min, 2 min, … ; the 8th attempt comes about an hour after the 1st).
pub fn retry_delay_ms(attempt: i64) -> i64 {
    const BASE_MS: i64 = 30_000;
    const MAX_MS: i64 = 3_600_000;
    let doublings = attempt.clamp(1, 20) - 1;
    (BASE_MS << doublings).min(MAX_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let delays: Vec<i64> = (1..=9).map(retry_delay_ms).collect();
        assert_eq!(delays, [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
        assert_eq!(retry_delay_ms(0), 30_000);
        assert_eq!(retry_delay_ms(1000), 3_600_000);
    }
}

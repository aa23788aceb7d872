//! Retry back-off schedule shared by the client's retry loops.

use std::time::Duration;

/// The pause before retry number `attempt` (0-based), as Gazette's client
/// schedules it: 50 ms for attempts 0–1, 100 ms for 2–3, 1 s for 4–5 and
/// 5 s from 6 on. A negative attempt means "retry at once" (0), which lets a
/// loop that just made progress reset its counter to -1.
pub fn backoff(attempt: i32) -> Duration {
    match attempt {
        i32::MIN..=-1 => Duration::ZERO,
        0 | 1 => Duration::from_millis(50),
        2 | 3 => Duration::from_millis(100),
        4 | 5 => Duration::from_secs(1),
        _ => Duration::from_secs(5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule() {
        let ms: Vec<u128> = (-1..8).map(|a| backoff(a).as_millis()).collect();
        assert_eq!(ms, [0, 50, 50, 100, 100, 1000, 1000, 5000, 5000]);
    }
}

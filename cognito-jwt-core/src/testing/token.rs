//! What every token builder of the kit shares.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub(super) fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut random = [0u8; 8];
    let _ = SystemRandom::new().fill(&mut random);
    format!(
        "{:016x}-{:04x}-4000-8000-{:012x}",
        u64::from_le_bytes(random),
        COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff,
        now()
    )
}

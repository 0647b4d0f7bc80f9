//! The core's tests that own process-wide state, in a binary of their own:
//! the counting global allocator (live and total heap bytes) and the global
//! tracing subscriber. Each test holds the process lock ([`alone`]), so they
//! run one at a time and no other test's allocations or events are counted.
//! Every other core test is in `tests/it`.
#![cfg(feature = "testing")]

use std::alloc::System;
use std::ops::Deref;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use cap::Cap;
use cognito_jwt_test_support::LogCapture;
use tokio::sync::{Mutex, MutexGuard};
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::layer::SubscriberExt;

mod hostile_cost;
mod http_refusal_logs;
mod memory_bounds;
mod tenant_memory_bounds;
mod what_is_logged;

#[allow(
    dead_code,
    reason = "the memory test uses a few of the key-server helpers"
)]
#[path = "../it/support/key_server.rs"]
mod key_server;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

static PROCESS: Mutex<()> = Mutex::const_new(());

/// The process lock, for an async test.
async fn alone() -> MutexGuard<'static, ()> {
    PROCESS.lock().await
}

/// The process lock, for a test outside any runtime.
fn alone_blocking() -> MutexGuard<'static, ()> {
    PROCESS.blocking_lock()
}

/// Whether the global subscriber records events: only while a test holds
/// a [`Capture`], so that the allocation tests count no log formatting.
/// Read on every event (a dynamic filter: tracing caches no verdict per
/// call site).
static CAPTURING: AtomicBool = AtomicBool::new(false);

/// The process's global tracing subscriber (every event, at TRACE),
/// recording from now until the returned guard drops, into an empty buffer.
/// It is installed on first use. Call it while holding [`alone`].
fn logs() -> Capture {
    static BUFFER: OnceLock<LogCapture> = OnceLock::new();
    let buffer = BUFFER.get_or_init(|| {
        let buffer = LogCapture::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
            .with(dynamic_filter_fn(|_, _| CAPTURING.load(Ordering::SeqCst)));
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only global subscriber of this process");
        buffer
    });
    buffer.take();
    CAPTURING.store(true, Ordering::SeqCst);
    Capture(buffer.clone())
}

/// The events recorded since [`logs`]; recording stops when it drops.
struct Capture(LogCapture);

impl Deref for Capture {
    type Target = LogCapture;

    fn deref(&self) -> &LogCapture {
        &self.0
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        CAPTURING.store(false, Ordering::SeqCst);
        self.0.take();
    }
}

//! The core's tests that own process-wide state, in a binary of their own:
//! the counting global allocator (live and total heap bytes) and the global
//! tracing subscriber (its events and its spans). Each test holds the process lock ([`alone`]), so they
//! run one at a time and no other test's allocations or events are counted.
//! Every other core test is in `tests/it`.
#![cfg(feature = "testing")]

use std::alloc::System;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};

use cap::Cap;
use cognito_jwt_test_support::LogCapture;
use tokio::sync::{Mutex, MutexGuard};
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

mod hostile_cost;
mod http_refusal_logs;
mod memory_bounds;
mod spans;
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

/// The process's global tracing subscriber (every event and span, at
/// TRACE), recording from now until the returned guard drops, into empty
/// buffers. It is installed on first use. Call it while holding [`alone`].
fn logs() -> Capture {
    static BUFFERS: OnceLock<(LogCapture, SpanCapture)> = OnceLock::new();
    let (buffer, spans) = BUFFERS.get_or_init(|| {
        let buffer = LogCapture::default();
        let spans = SpanCapture::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish()
            .with(dynamic_filter_fn(|_, _| CAPTURING.load(Ordering::SeqCst)))
            .with(spans.clone());
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only global subscriber of this process");
        (buffer, spans)
    });
    buffer.take();
    spans.take();
    CAPTURING.store(true, Ordering::SeqCst);
    Capture(buffer.clone(), spans.clone())
}

/// The events and spans recorded since [`logs`]; recording stops when it
/// drops.
struct Capture(LogCapture, SpanCapture);

impl Capture {
    /// The spans opened since [`logs`], in the order they were opened,
    /// with every field recorded so far.
    fn spans(&self) -> Vec<CapturedSpan> {
        self.1.lock().spans.clone()
    }
}

/// A span as a subscriber saw it: its name and its fields' values (a
/// string as it is, anything else as its `Debug`).
#[derive(Debug, Clone)]
struct CapturedSpan {
    name: &'static str,
    fields: BTreeMap<&'static str, String>,
}

impl CapturedSpan {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

impl Visit for CapturedSpan {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.fields.insert(field.name(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.fields.insert(field.name(), format!("{value:?}"));
    }
}

/// A layer keeping every span's fields, for the span tests.
#[derive(Clone, Default)]
struct SpanCapture(Arc<std::sync::Mutex<SpanLog>>);

#[derive(Default)]
struct SpanLog {
    /// Open spans' indexes in `spans`, by id (ids are reused once closed).
    open: HashMap<Id, usize>,
    spans: Vec<CapturedSpan>,
}

impl SpanCapture {
    fn lock(&self) -> std::sync::MutexGuard<'_, SpanLog> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self) {
        std::mem::take(&mut *self.lock());
    }
}

impl<S: Subscriber> Layer<S> for SpanCapture {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut span = CapturedSpan {
            name: attributes.metadata().name(),
            fields: BTreeMap::new(),
        };
        attributes.record(&mut span);
        let mut log = self.lock();
        let index = log.spans.len();
        log.spans.push(span);
        log.open.insert(id.clone(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut log = self.lock();
        if let Some(&index) = log.open.get(id) {
            values.record(&mut log.spans[index]);
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        self.lock().open.remove(&id);
    }
}

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

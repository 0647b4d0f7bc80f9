//! The package's Tokio runtime: key-set fetches, refresh-ahead tasks and
//! `verify_async` run on it; every verifier in the process shares it.
//!
//! Fork safety: `os.register_at_fork` calls [`before_fork`] in the parent
//! (the runtime is shut down and its threads joined, so no background thread
//! holds a lock when the process is copied) and a fresh runtime starts on
//! first use afterwards, in the parent and in the child alike. The key sets
//! and the token cache live in the verifiers, not in the runtime: a child
//! keeps them and starts no fetch it does not need.

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::{Builder, Handle, Runtime};

/// How long a fork waits for the runtime's tasks (a fetch under way) to
/// stop: a fetch is abandoned, not awaited, and starts again on first use.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// `None` until first use and after a fork. Only ever locked while the
/// caller is attached to the interpreter, so that no other thread can hold
/// it while `os.fork` (which holds the GIL) copies the process.
static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

fn build() -> PyResult<Runtime> {
    Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("cognito-jwt")
        .enable_all()
        .build()
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!(
                "cognito_jwt could not start its runtime: {e}"
            ))
        })
}

/// The runtime's handle, starting the runtime if there is none.
pub(crate) fn handle(_py: Python<'_>) -> PyResult<Handle> {
    let mut runtime = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(runtime) = runtime.as_ref() {
        return Ok(runtime.handle().clone());
    }
    let started = build()?;
    let handle = started.handle().clone();
    *runtime = Some(started);
    Ok(handle)
}

/// Run `future` to completion on the runtime, detached from the
/// interpreter (other Python threads run meanwhile).
pub(crate) fn block_on<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let handle = handle(py)?;
    Ok(py.detach(move || handle.block_on(future)))
}

/// Spawn `future` on the runtime.
pub(crate) fn spawn<F>(py: Python<'_>, future: F) -> PyResult<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    handle(py)?.spawn(future);
    Ok(())
}

/// Shut the runtime down and join its threads: registered with
/// `os.register_at_fork(before=…)`.
#[pyfunction]
pub(crate) fn before_fork(py: Python<'_>) {
    // A thread that verified while this one waited (detached) may have
    // started another runtime: shut that one down too.
    loop {
        let taken = RUNTIME
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(runtime) = taken else {
            return;
        };
        // Detached: a task finishing a `verify_async` needs the GIL.
        py.detach(move || runtime.shutdown_timeout(SHUTDOWN_TIMEOUT));
    }
}

/// Whether the runtime is running (for the tests of fork safety).
#[pyfunction]
pub(crate) fn runtime_running(_py: Python<'_>) -> bool {
    RUNTIME
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .is_some()
}

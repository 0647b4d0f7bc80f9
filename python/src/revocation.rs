//! `RevocationList`: the core's in-process revocation list.

use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::errors;
use crate::options::duration;
use crate::runtime;

/// Sessions, tokens, subjects and clients refused before their tokens
/// expire. Give it to a verifier (`revocation=`); revoke from any thread.
#[pyclass(frozen, module = "cognito_jwt")]
#[derive(Debug)]
pub(crate) struct RevocationList {
    pub(crate) inner: cognito_jwt_core::RevocationList,
}

fn revocation_error(error: &cognito_jwt_core::RevocationError) -> PyErr {
    PyRuntimeError::new_err(format!("the revocation could not be recorded: {error}"))
}

#[pymethods]
impl RevocationList {
    #[new]
    #[pyo3(signature = (*, max_entries=None, session_ttl=None, token_lifetime=None, max_staleness=None))]
    fn new(
        py: Python<'_>,
        max_entries: Option<usize>,
        session_ttl: Option<Bound<'_, PyAny>>,
        token_lifetime: Option<Bound<'_, PyAny>>,
        max_staleness: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut builder = cognito_jwt_core::RevocationList::builder();
        if let Some(max) = max_entries {
            builder = builder.max_entries(max);
        }
        let read = |value: Option<Bound<'_, PyAny>>, name| -> PyResult<Option<Duration>> {
            value.map(|v| duration(&v, name)).transpose()
        };
        if let Some(ttl) = read(session_ttl, "session_ttl")? {
            builder = builder.session_ttl(ttl);
        }
        if let Some(lifetime) = read(token_lifetime, "token_lifetime")? {
            builder = builder.token_lifetime(lifetime);
        }
        if let Some(staleness) = read(max_staleness, "max_staleness")? {
            builder = builder.max_staleness(staleness);
        }
        let inner = builder.build().map_err(|e| errors::config(py, &e))?;
        Ok(Self { inner })
    }

    /// The list the `REVOCATION_*` variables describe.
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Self> {
        let inner = cognito_jwt_core::RevocationList::builder()
            .from_env()
            .and_then(cognito_jwt_core::RevocationListBuilder::build)
            .map_err(|e| errors::config(py, &e))?;
        Ok(Self { inner })
    }

    /// Refuse every token of the sign-in session `origin_jti` of `issuer`.
    fn revoke_session(&self, py: Python<'_>, issuer: &str, origin_jti: &str) -> PyResult<()> {
        let list = &self.inner;
        runtime::block_on(py, list.revoke_session(issuer, origin_jti))?
            .map(drop)
            .map_err(|e| revocation_error(&e))
    }

    /// Refuse the token with this `jti`, until `expires_at` (its `exp`).
    fn revoke_token(
        &self,
        py: Python<'_>,
        issuer: &str,
        jti: &str,
        expires_at: u64,
    ) -> PyResult<()> {
        let list = &self.inner;
        runtime::block_on(py, list.revoke_token(issuer, jti, expires_at))?
            .map(drop)
            .map_err(|e| revocation_error(&e))
    }

    /// Refuse every token of the user `sub` issued until now.
    fn revoke_subject(&self, py: Python<'_>, issuer: &str, sub: &str) -> PyResult<()> {
        let list = &self.inner;
        runtime::block_on(py, list.revoke_subject(issuer, sub))?
            .map(drop)
            .map_err(|e| revocation_error(&e))
    }

    /// Refuse every token of the app client `client_id` issued until now.
    fn revoke_client(&self, py: Python<'_>, issuer: &str, client_id: &str) -> PyResult<()> {
        let list = &self.inner;
        runtime::block_on(py, list.revoke_client(issuer, client_id))?
            .map(drop)
            .map_err(|e| revocation_error(&e))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!("<RevocationList entries={}>", self.inner.len())
    }
}

//! The test kit: `cognito_jwt.testing.TestIssuer` wraps this.

use std::sync::{Mutex, PoisonError};

use cognito_jwt_core::AcceptedTokenUse;
use cognito_jwt_core::testing::TestIssuer as CoreIssuer;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::convert;
use crate::errors;
use crate::options::{Common, apply_common, strings};
use crate::verifier::{CognitoJwtVerifier, Verifier};

/// A local Cognito user pool: an RSA key, its key set, and tokens signed
/// with it.
#[pyclass(frozen, module = "cognito_jwt._native")]
#[derive(Debug)]
pub(crate) struct NativeTestIssuer {
    inner: Mutex<CoreIssuer>,
}

impl NativeTestIssuer {
    fn issuer(&self) -> std::sync::MutexGuard<'_, CoreIssuer> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

macro_rules! mint {
    ($builder:expr, $groups:expr, $scope:expr, $claims:expr, $without:expr, $expires_in:expr) => {{
        let mut builder = $builder;
        if let Some(groups) = $groups.filter(|v: &Bound<'_, PyAny>| !v.is_none()) {
            for group in strings(&groups, "groups")? {
                builder = builder.group(&group);
            }
        }
        if let Some(scope) = $scope {
            builder = builder.scope(scope);
        }
        if let Some(seconds) = $expires_in {
            builder = builder.expires_in(seconds);
        }
        if let Some(claims) = $claims {
            for (name, value) in claims.iter() {
                let name = name.cast::<PyString>()?.to_str()?.to_owned();
                builder = builder.claim(&name, convert::from_py(&value)?);
            }
        }
        if let Some(without) = $without.filter(|v: &Bound<'_, PyAny>| !v.is_none()) {
            for name in strings(&without, "without")? {
                builder = builder.without(&name);
            }
        }
        Ok(builder.sign())
    }};
}

#[pymethods]
impl NativeTestIssuer {
    #[new]
    #[pyo3(signature = (pool_id, issuer=None))]
    fn new(pool_id: &str, issuer: Option<&str>) -> Self {
        let mut inner = CoreIssuer::new(pool_id);
        if let Some(issuer) = issuer {
            inner = inner.with_issuer(issuer);
        }
        Self {
            inner: Mutex::new(inner),
        }
    }

    #[getter]
    fn pool_id(&self) -> String {
        self.issuer().pool_id().to_owned()
    }

    #[getter]
    fn issuer_url(&self) -> String {
        self.issuer().issuer().to_owned()
    }

    #[getter]
    fn kid(&self) -> String {
        self.issuer().key().kid().to_owned()
    }

    fn jwks_json(&self) -> String {
        self.issuer().jwks_json()
    }

    fn rotate(&self) -> String {
        self.issuer().rotate().kid().to_owned()
    }

    fn retire_old_keys(&self) {
        self.issuer().retire_old_keys();
    }

    #[pyo3(signature = (client_id, groups=None, scope=None, claims=None, without=None, expires_in=None))]
    fn access_token(
        &self,
        client_id: &str,
        groups: Option<Bound<'_, PyAny>>,
        scope: Option<&str>,
        claims: Option<Bound<'_, PyDict>>,
        without: Option<Bound<'_, PyAny>>,
        expires_in: Option<i64>,
    ) -> PyResult<String> {
        let issuer = self.issuer();
        mint!(
            issuer.access_token(client_id),
            groups,
            scope,
            claims,
            without,
            expires_in
        )
    }

    #[pyo3(signature = (client_id, scope, claims=None, without=None, expires_in=None))]
    fn m2m_access_token(
        &self,
        client_id: &str,
        scope: &str,
        claims: Option<Bound<'_, PyDict>>,
        without: Option<Bound<'_, PyAny>>,
        expires_in: Option<i64>,
    ) -> PyResult<String> {
        let issuer = self.issuer();
        let none: Option<Bound<'_, PyAny>> = None;
        mint!(
            issuer.m2m_access_token(client_id, scope),
            none,
            None::<&str>,
            claims,
            without,
            expires_in
        )
    }

    #[pyo3(signature = (client_id, groups=None, claims=None, without=None, expires_in=None))]
    fn id_token(
        &self,
        client_id: &str,
        groups: Option<Bound<'_, PyAny>>,
        claims: Option<Bound<'_, PyDict>>,
        without: Option<Bound<'_, PyAny>>,
        expires_in: Option<i64>,
    ) -> PyResult<String> {
        let issuer = self.issuer();
        mint!(
            issuer.id_token(client_id),
            groups,
            None::<&str>,
            claims,
            without,
            expires_in
        )
    }

    /// A verifier of this pool's tokens with the keys already cached; it
    /// never fetches (an unknown key is looked up in this issuer's current
    /// set, in-process).
    #[pyo3(signature = (client_id, token_use="access", **options))]
    fn verifier(
        &self,
        py: Python<'_>,
        client_id: &str,
        token_use: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<CognitoJwtVerifier>> {
        let common = Common::from_kwargs(py, options, "TestIssuer.verifier", true)?;
        let token_use: AcceptedTokenUse = token_use.parse().map_err(|_| {
            errors::config_message(
                py,
                &format!("token_use is invalid: expected \"access\", \"id\" or \"any\", not {token_use:?}"),
                Some("token_use"),
            )
        })?;
        let issuer = self.issuer();
        let builder = apply_common!(
            issuer.verifier_builder(client_id, token_use),
            common,
            scopes
        );
        let verifier = builder.build().map_err(|e| errors::config(py, &e))?;
        verifier
            .cache_jwks(issuer.pool_id(), &issuer.jwks_json())
            .map_err(|e| errors::token(py, e))?;
        Py::new(
            py,
            PyClassInitializer::from(Verifier {
                inner: verifier.into(),
            })
            .add_subclass(CognitoJwtVerifier),
        )
    }
}

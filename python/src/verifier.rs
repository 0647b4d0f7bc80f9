//! The verifiers: one base class (`Verifier`) over the core's
//! `AnyVerifier`, and a subclass per kind with its constructor and
//! `from_env`.

use std::sync::{Arc, LazyLock};

use cognito_jwt_core::http::{self, AuthRejection, TokenSource};
use cognito_jwt_core::{
    AcceptedTokenUse, Algorithm, AnyVerifier, IssuerHosts, Requirements as CoreRequirements,
    RevocationProbe, UserPool, Verify,
};
use pyo3::IntoPyObjectExt as _;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyString, PyTuple};
use serde_json::Value;

use crate::convert;
use crate::errors;
use crate::options::{Common, Rules, apply_common, duration, strings};
use crate::runtime;

/// Requirements of one route (checked on top of the verifier's own):
/// groups (any), scopes (any), claim rules (all), step-up.
#[pyclass(frozen, module = "cognito_jwt")]
#[derive(Debug)]
pub(crate) struct Requirements {
    inner: Arc<CoreRequirements>,
}

#[pymethods]
impl Requirements {
    #[new]
    #[pyo3(signature = (*, groups=None, scopes=None, claims=None, acr=None, amr=None, max_auth_age=None))]
    fn new(
        py: Python<'_>,
        groups: Option<Bound<'_, PyAny>>,
        scopes: Option<Bound<'_, PyAny>>,
        claims: Option<Bound<'_, PyAny>>,
        acr: Option<Bound<'_, PyAny>>,
        amr: Option<Bound<'_, PyAny>>,
        max_auth_age: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut rules = Rules::default();
        for (name, value) in [
            ("groups", groups),
            ("scopes", scopes),
            ("claims", claims),
            ("acr", acr),
            ("amr", amr),
            ("max_auth_age", max_auth_age),
        ] {
            if let Some(value) = value.filter(|v| !v.is_none()) {
                rules.read(py, name, &value)?;
            }
        }
        Ok(Self {
            inner: Arc::new(rules.requirements(py)?),
        })
    }

    fn __bool__(&self) -> bool {
        !self.inner.is_empty()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

static NO_REQUIREMENTS: CoreRequirements = CoreRequirements::new();
static NO_SHARED_REQUIREMENTS: LazyLock<Arc<CoreRequirements>> =
    LazyLock::new(|| Arc::new(CoreRequirements::new()));

/// The requirements a task on the runtime owns (none: a shared empty set).
fn requirements(value: Option<&Bound<'_, Requirements>>) -> Arc<CoreRequirements> {
    value.map_or_else(
        || Arc::clone(&NO_SHARED_REQUIREMENTS),
        |r| Arc::clone(&r.get().inner),
    )
}

/// What every verifier kind can do; not built directly.
#[pyclass(frozen, subclass, module = "cognito_jwt")]
#[derive(Debug)]
pub(crate) struct Verifier {
    pub(crate) inner: AnyVerifier,
}

static RESOLVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static LATER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A coroutine that calls `slf.<method>(*args)` once awaited (in the
/// running loop) and awaits the future it returns: `verify_async(…)` may
/// be created outside a loop, as any coroutine.
fn later<'py>(
    slf: &Bound<'py, PyAny>,
    method: &str,
    args: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    let later = LATER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.import("cognito_jwt._errors")?
                    .getattr("_later")?
                    .unbind(),
            )
        })?
        .bind(py);
    let mut call = vec![slf.getattr(method)?];
    call.extend(args);
    later.call1(PyTuple::new(py, call)?)
}
static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl Verifier {
    /// Verify `token` and return its claims. The GIL is released while
    /// verifying (and, the first time, while the key set is fetched).
    #[pyo3(signature = (token, requirements=None))]
    fn verify(
        &self,
        py: Python<'_>,
        token: &str,
        requirements: Option<&Bound<'_, Requirements>>,
    ) -> PyResult<Py<PyAny>> {
        let extra = requirements.map(|r| Arc::clone(&r.get().inner));
        let verifier = &self.inner;
        let verified = runtime::block_on(py, async move {
            verifier
                .verify_with::<Value>(token, extra.as_deref().unwrap_or(&NO_REQUIREMENTS))
                .await
        })?;
        match verified {
            Ok(claims) => convert::to_py(py, &claims),
            Err(error) => Err(errors::token(py, error)),
        }
    }

    /// `await verifier.verify_async(token)`: verifies on the package's
    /// runtime and resolves an asyncio future; the event loop never waits.
    #[pyo3(signature = (token, requirements=None))]
    fn verify_async<'py>(
        slf: &Bound<'py, Self>,
        token: Bound<'py, PyAny>,
        requirements: Option<Bound<'py, Requirements>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        later(
            slf.as_any(),
            "_verify_future",
            vec![token, requirements.into_bound_py_any(slf.py())?],
        )
    }

    /// The asyncio future `verify_async` awaits (needs a running loop).
    #[pyo3(name = "_verify_future", signature = (token, requirements=None))]
    fn verify_future<'py>(
        &self,
        py: Python<'py>,
        token: String,
        requirements: Option<&Bound<'py, Requirements>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let extra = self::requirements(requirements);
        let verifier = self.inner.clone();
        self.spawn_resolving(py, async move {
            verifier
                .verify_with::<Value>(&token, &extra)
                .await
                .map_err(AuthRejection::Token)
                .map(Some)
        })
    }

    /// Fetch every configured key set now (at start-up, to fail fast).
    ///
    /// Raises `ServiceUnavailableError` when a key set cannot be fetched.
    fn hydrate(&self, py: Python<'_>) -> PyResult<()> {
        let verifier = &self.inner;
        runtime::block_on(py, verifier.hydrate())?.map_err(|e| errors::token(py, e))
    }

    /// The state of every key set (and of the revocation list), as a dict:
    /// for the operator's own endpoints (it can name internal hosts).
    fn health(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let health: Value = serde_json::from_str(&self.inner.health().to_json())
            .map_err(|e| PyTypeError::new_err(e.to_string()))?;
        convert::to_py(py, &health)
    }

    /// Whether every key set has usable keys.
    fn is_ready(&self) -> bool {
        self.inner.health().ready
    }

    /// The public readiness answer: `(status, retry_after, body)`, the
    /// body JSON with no URL or error text.
    fn readiness(&self) -> (u16, Option<u64>, String) {
        let readiness = http::Readiness::of(&self.inner);
        (
            readiness.status(),
            readiness.retry_after_secs(),
            readiness.body_json(),
        )
    }

    /// The request header the token comes in: `authorization`, or
    /// `x-amzn-oidc-data` for a load balancer's.
    #[getter]
    fn token_header(&self) -> &'static str {
        match self.inner.token_source() {
            TokenSource::AlbData => "x-amzn-oidc-data",
            _ => "authorization",
        }
    }

    /// The request rules every adapter applies (the token from the
    /// headers, one header only, RFC 6750 syntax, then `verify` with
    /// `requirements`), raising the exception whose attributes are the
    /// HTTP answer. `optional=True` returns `None` when no token was sent.
    /// The framework helpers call this; header values as `bytes` or
    /// `str` (latin-1, as WSGI gives them).
    #[pyo3(signature = (headers, requirements=None, *, optional=false, realm=http::DEFAULT_REALM))]
    fn authenticate(
        &self,
        py: Python<'_>,
        headers: Vec<Bound<'_, PyAny>>,
        requirements: Option<&Bound<'_, Requirements>>,
        optional: bool,
        realm: &str,
    ) -> PyResult<Py<PyAny>> {
        let headers = header_bytes(&headers)?;
        let extra = requirements.map(|r| Arc::clone(&r.get().inner));
        let verifier = &self.inner;
        let source = verifier.token_source();
        let outcome = runtime::block_on(py, async {
            let requirements = extra.as_deref().unwrap_or(&NO_REQUIREMENTS);
            let values = headers.iter().map(Vec::as_slice);
            if optional {
                http::authenticate_optional::<Value>(verifier, &source, requirements, values, [])
                    .await
            } else {
                http::authenticate::<Value>(verifier, &source, requirements, values, [])
                    .await
                    .map(Some)
            }
        })?;
        match outcome {
            Ok(Some(claims)) => convert::to_py(py, &claims),
            Ok(None) => Ok(py.None()),
            Err(rejection) => Err(errors::rejection(py, &rejection, realm)),
        }
    }

    /// `authenticate` for `async` code: resolves an asyncio future.
    #[pyo3(signature = (headers, requirements=None, *, optional=false, realm=http::DEFAULT_REALM.to_owned()))]
    fn authenticate_async<'py>(
        slf: &Bound<'py, Self>,
        headers: Bound<'py, PyAny>,
        requirements: Option<Bound<'py, Requirements>>,
        optional: bool,
        realm: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let args = vec![
            headers,
            requirements.into_bound_py_any(py)?,
            optional.into_bound_py_any(py)?,
            realm.into_bound_py_any(py)?,
        ];
        later(slf.as_any(), "_authenticate_future", args)
    }

    /// The asyncio future `authenticate_async` awaits.
    #[pyo3(name = "_authenticate_future", signature = (headers, requirements, optional, realm))]
    fn authenticate_future<'py>(
        &self,
        py: Python<'py>,
        headers: Vec<Bound<'py, PyAny>>,
        requirements: Option<&Bound<'py, Requirements>>,
        optional: bool,
        realm: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let headers = header_bytes(&headers)?;
        let extra = self::requirements(requirements);
        let verifier = self.inner.clone();
        let source = verifier.token_source();
        self.spawn_resolving_in(py, realm, async move {
            let values = headers.iter().map(Vec::as_slice);
            if optional {
                http::authenticate_optional::<Value>(&verifier, &source, &extra, values, []).await
            } else {
                http::authenticate::<Value>(&verifier, &source, &extra, values, [])
                    .await
                    .map(Some)
            }
        })
    }

    fn __repr__(&self) -> String {
        let health = self.inner.health();
        format!(
            "<{} key_sets={} ready={}>",
            match self.inner {
                AnyVerifier::Cognito(_) => "CognitoJwtVerifier",
                AnyVerifier::Jwt(_) => "JwtVerifier",
                _ => "AlbJwtVerifier",
            },
            health.key_sets.len(),
            health.ready
        )
    }
}

impl Verifier {
    fn spawn_resolving<'py, F>(&self, py: Python<'py>, future: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Result<Option<Value>, AuthRejection>> + Send + 'static,
    {
        self.spawn_resolving_in(py, http::DEFAULT_REALM.to_owned(), future)
    }

    /// Run `future` on the runtime and return an asyncio future of the
    /// running loop that it resolves (from the runtime's thread, through
    /// `call_soon_threadsafe`).
    fn spawn_resolving_in<'py, F>(
        &self,
        py: Python<'py>,
        realm: String,
        future: F,
    ) -> PyResult<Bound<'py, PyAny>>
    where
        F: Future<Output = Result<Option<Value>, AuthRejection>> + Send + 'static,
    {
        let get_running_loop = GET_RUNNING_LOOP
            .get_or_try_init(py, || {
                Ok::<_, PyErr>(py.import("asyncio")?.getattr("get_running_loop")?.unbind())
            })?
            .bind(py);
        let event_loop = get_running_loop.call0()?;
        let awaitable = event_loop.call_method0("create_future")?;
        let resolve = RESOLVE
            .get_or_try_init(py, || {
                Ok::<_, PyErr>(
                    py.import("cognito_jwt._errors")?
                        .getattr("_resolve")?
                        .unbind(),
                )
            })?
            .clone_ref(py);
        let (event_loop, target) = (event_loop.unbind(), awaitable.clone().unbind());
        runtime::spawn(py, async move {
            let outcome = future.await;
            Python::attach(|py| {
                let (error, value) = match outcome {
                    Ok(Some(claims)) => (py.None(), convert::to_py(py, &claims)),
                    Ok(None) => (py.None(), Ok(py.None())),
                    Err(rejection) => (
                        errors::rejection(py, &rejection, &realm)
                            .into_value(py)
                            .into_any(),
                        Ok(py.None()),
                    ),
                };
                let (error, value) = match value {
                    Ok(value) => (error, value),
                    Err(conversion) => (conversion.into_value(py).into_any(), py.None()),
                };
                // The loop may be closed by now: nobody is waiting then.
                let _ = event_loop.call_method1(
                    py,
                    "call_soon_threadsafe",
                    (resolve, target, error, value),
                );
            });
        })?;
        Ok(awaitable)
    }
}

fn header_bytes(values: &[Bound<'_, PyAny>]) -> PyResult<Vec<Vec<u8>>> {
    values
        .iter()
        .map(|value| {
            if let Ok(bytes) = value.cast::<PyBytes>() {
                Ok(bytes.as_bytes().to_vec())
            } else if let Ok(text) = value.cast::<PyString>() {
                let text = text.to_str()?;
                // WSGI decodes header bytes as latin-1: undo it.
                Ok(text
                    .chars()
                    .map(|c| u8::try_from(u32::from(c)))
                    .collect::<Result<Vec<u8>, _>>()
                    .unwrap_or_else(|_| text.as_bytes().to_vec()))
            } else {
                Err(PyTypeError::new_err("header values must be bytes or str"))
            }
        })
        .collect()
}

fn build<T, E: std::borrow::Borrow<cognito_jwt_core::ConfigError>>(
    py: Python<'_>,
    built: Result<T, E>,
) -> PyResult<T> {
    built.map_err(|e| errors::config(py, e.borrow()))
}

/// One Cognito user pool a `CognitoJwtVerifier` trusts: for a verifier of
/// several pools (`CognitoJwtVerifier(user_pools=[UserPool(…), …])`).
#[pyclass(frozen, name = "UserPool", module = "cognito_jwt")]
#[derive(Debug)]
pub(crate) struct PyUserPool {
    inner: UserPool,
}

#[pymethods]
impl PyUserPool {
    #[new]
    #[pyo3(signature = (
        *, user_pool_id, client_id, token_use, jwks_uri=None, issuer=None, issuer_hosts=None,
        resource=None, unbound_clients=None, jwks_file=None, jwks_seed=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        user_pool_id: String,
        client_id: Bound<'_, PyAny>,
        token_use: &str,
        jwks_uri: Option<String>,
        issuer: Option<String>,
        issuer_hosts: Option<&str>,
        resource: Option<Bound<'_, PyAny>>,
        unbound_clients: Option<Bound<'_, PyAny>>,
        jwks_file: Option<std::path::PathBuf>,
        jwks_seed: Option<String>,
    ) -> PyResult<Self> {
        let token_use: AcceptedTokenUse = token_use.parse().map_err(|_| {
            errors::config_message(
                py,
                &format!("token_use is invalid: expected \"access\", \"id\" or \"any\", not {token_use:?}"),
                Some("token_use"),
            )
        })?;
        let mut pool = UserPool::new(user_pool_id)
            .client_ids(strings(&client_id, "client_id")?)
            .token_use(token_use);
        if let Some(url) = jwks_uri {
            pool = pool.jwks_uri(url);
        }
        if let Some(issuer) = issuer {
            pool = pool.issuer(issuer);
        }
        if let Some(hosts) = issuer_hosts {
            let hosts: IssuerHosts = hosts.parse().map_err(|_| {
                errors::config_message(
                    py,
                    &format!("issuer_hosts is invalid: expected \"both\", \"original\" or \"updated\", not {hosts:?}"),
                    Some("issuer_hosts"),
                )
            })?;
            pool = pool.issuer_hosts(hosts);
        }
        if let Some(resource) = resource.filter(|v| !v.is_none()) {
            pool = pool.resources(strings(&resource, "resource")?);
        }
        if let Some(clients) = unbound_clients.filter(|v| !v.is_none()) {
            pool = pool.unbound_clients(strings(&clients, "unbound_clients")?);
        }
        if let Some(path) = jwks_file {
            pool = pool.jwks_file(path);
        }
        if let Some(document) = jwks_seed {
            pool = pool.jwks_seed(document);
        }
        Ok(Self { inner: pool })
    }

    fn __repr__(&self) -> String {
        format!("<UserPool {}>", self.inner.pool_id())
    }
}

/// Verifies Amazon Cognito ID and access tokens: of one user pool (its
/// settings as keywords) or of several (`user_pools=[UserPool(…), …]`).
#[pyclass(frozen, extends = Verifier, module = "cognito_jwt")]
#[derive(Debug)]
pub(crate) struct CognitoJwtVerifier;

#[pymethods]
impl CognitoJwtVerifier {
    #[new]
    #[pyo3(signature = (
        *, user_pool_id=None, client_id=None, token_use=None, jwks_uri=None, issuer=None,
        issuer_hosts=None, resource=None, unbound_clients=None, jwks_file=None, jwks_seed=None,
        user_pools=None, revocation_probe=None, idp_endpoint=None, **options
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        user_pool_id: Option<String>,
        client_id: Option<Bound<'_, PyAny>>,
        token_use: Option<&str>,
        jwks_uri: Option<String>,
        issuer: Option<String>,
        issuer_hosts: Option<&str>,
        resource: Option<Bound<'_, PyAny>>,
        unbound_clients: Option<Bound<'_, PyAny>>,
        jwks_file: Option<std::path::PathBuf>,
        jwks_seed: Option<String>,
        user_pools: Option<Vec<Bound<'_, PyUserPool>>>,
        revocation_probe: Option<Bound<'_, PyAny>>,
        idp_endpoint: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let probe = revocation_probe
            .filter(|value| !value.is_none() && !value.is(PyBool::new(py, false)))
            .map(|value| -> PyResult<RevocationProbe> {
                let probe = RevocationProbe::new();
                if value.is(PyBool::new(py, true)) {
                    Ok(probe)
                } else {
                    Ok(probe.interval(duration(&value, "revocation_probe")?))
                }
            })
            .transpose()?
            .map(|probe| match &idp_endpoint {
                Some(url) => probe.endpoint(url),
                None => probe,
            });
        let common = Common::from_kwargs(py, options, "CognitoJwtVerifier", true)?;
        let mut pools: Vec<UserPool> = user_pools
            .unwrap_or_default()
            .iter()
            .map(|pool| pool.get().inner.clone())
            .collect();
        if let Some(user_pool_id) = user_pool_id {
            let required = |name: &str, expected: &str| {
                errors::config_message(py, &format!("{name} is not set: {expected}"), Some(name))
            };
            let client_id =
                client_id.ok_or_else(|| required("client_id", "the app client id(s)"))?;
            let token_use =
                token_use.ok_or_else(|| required("token_use", "\"access\", \"id\" or \"any\""))?;
            let pool = PyUserPool::new(
                py,
                user_pool_id,
                client_id,
                token_use,
                jwks_uri,
                issuer,
                issuer_hosts,
                resource,
                unbound_clients,
                jwks_file,
                jwks_seed,
            )?;
            pools.push(pool.inner);
        } else if client_id.is_some()
            || token_use.is_some()
            || jwks_uri.is_some()
            || issuer.is_some()
            || issuer_hosts.is_some()
            || resource.is_some()
            || unbound_clients.is_some()
            || jwks_file.is_some()
            || jwks_seed.is_some()
        {
            return Err(PyTypeError::new_err(
                "a user pool's settings need user_pool_id; with user_pools=, give them to each UserPool",
            ));
        } else if pools.is_empty() {
            return Err(errors::config_message(
                py,
                "user_pool_id is not set: the user pool id, <region>_<id>, e.g. eu-west-1_AbC123xyz (or user_pools=[UserPool(...), ...])",
                Some("user_pool_id"),
            ));
        }
        let mut builder = pools.into_iter().fold(
            cognito_jwt_core::CognitoJwtVerifier::builder(),
            cognito_jwt_core::CognitoJwtVerifierBuilder::user_pool,
        );
        if let Some(probe) = probe {
            builder = builder.revocation_probe(probe);
        }
        let verifier = build(py, apply_common!(builder, common, scopes).build())?;
        Ok(PyClassInitializer::from(Verifier {
            inner: verifier.into(),
        })
        .add_subclass(Self))
    }

    /// The verifier the `COGNITO_*` variables (and `REQUIRED_CLAIMS`)
    /// describe; `ConfigError` names a variable that is missing or wrong
    /// and a near miss of its name that is set.
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Py<Self>> {
        let verifier = build(py, cognito_jwt_core::CognitoJwtVerifier::from_env())?;
        Py::new(
            py,
            PyClassInitializer::from(Verifier {
                inner: verifier.into(),
            })
            .add_subclass(Self),
        )
    }
}

/// Verifies the tokens of any OpenID Connect issuer.
#[pyclass(frozen, extends = Verifier, module = "cognito_jwt")]
#[derive(Debug)]
pub(crate) struct JwtVerifier;

#[pymethods]
impl JwtVerifier {
    #[new]
    #[pyo3(signature = (
        *, issuer, audience=None, algorithms=None, jwks_uri=None, discover=false,
        access_token_profile=false, groups_claim=None, allow_http=false,
        dangerously_accept_any_audience=false, **options
    ))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn new(
        py: Python<'_>,
        issuer: String,
        audience: Option<Bound<'_, PyAny>>,
        algorithms: Option<Bound<'_, PyAny>>,
        jwks_uri: Option<String>,
        discover: bool,
        access_token_profile: bool,
        groups_claim: Option<String>,
        allow_http: bool,
        dangerously_accept_any_audience: bool,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let common = Common::from_kwargs(py, options, "JwtVerifier", true)?;
        let mut config = cognito_jwt_core::Issuer::new(issuer).allow_http(allow_http);
        if let Some(audience) = audience.filter(|v| !v.is_none()) {
            config = config.audiences(strings(&audience, "audience")?);
        }
        if dangerously_accept_any_audience {
            config = config.dangerously_accept_any_audience();
        }
        if let Some(algorithms) = algorithms.filter(|v| !v.is_none()) {
            let parsed = strings(&algorithms, "algorithms")?
                .iter()
                .map(|name| {
                    name.parse::<Algorithm>().map_err(|_| {
                        errors::config_message(
                            py,
                            &format!("algorithms is invalid: {name:?} is not an algorithm this verifier knows (RS256, ES256, EdDSA, …)"),
                            Some("algorithms"),
                        )
                    })
                })
                .collect::<PyResult<Vec<_>>>()?;
            config = config.algorithms(parsed);
        }
        if let Some(url) = jwks_uri {
            config = config.jwks_uri(url);
        } else if discover {
            config = config.discover();
        }
        if access_token_profile {
            config = config.access_token_profile();
        }
        if let Some(claim) = groups_claim {
            config = config.groups_claim(claim);
        }
        let builder = cognito_jwt_core::JwtVerifier::builder().issuer(config);
        let verifier = build(py, apply_common!(builder, common, scopes).build())?;
        Ok(PyClassInitializer::from(Verifier {
            inner: verifier.into(),
        })
        .add_subclass(Self))
    }

    /// The verifier the `OIDC_*` variables (and `REQUIRED_CLAIMS`)
    /// describe.
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Py<Self>> {
        let verifier = build(py, cognito_jwt_core::JwtVerifier::from_env())?;
        Py::new(
            py,
            PyClassInitializer::from(Verifier {
                inner: verifier.into(),
            })
            .add_subclass(Self),
        )
    }
}

/// Verifies the `x-amzn-oidc-data` tokens an Application Load Balancer
/// signs.
#[pyclass(frozen, extends = Verifier, module = "cognito_jwt")]
#[derive(Debug)]
pub(crate) struct AlbJwtVerifier;

impl AlbJwtVerifier {
    fn init(
        py: Python<'_>,
        arns: Vec<String>,
        client_ids: Vec<String>,
        issuers: Vec<String>,
        keys_url: Option<String>,
        common: Common,
    ) -> PyResult<Verifier> {
        let mut builder = cognito_jwt_core::AlbJwtVerifier::builder();
        for arn in arns {
            builder = builder.load_balancer_arn(arn);
        }
        for client_id in client_ids {
            builder = builder.client_id(client_id);
        }
        for issuer in issuers {
            builder = builder.issuer(issuer);
        }
        if let Some(url) = keys_url {
            builder = builder.keys_url(url);
        }
        let verifier = build(py, apply_common!(builder, common).build())?;
        Ok(Verifier {
            inner: verifier.into(),
        })
    }
}

#[pymethods]
impl AlbJwtVerifier {
    #[new]
    #[pyo3(signature = (*, load_balancer_arn, client_id=None, issuer=None, keys_url=None, **options))]
    fn new(
        py: Python<'_>,
        load_balancer_arn: Bound<'_, PyAny>,
        client_id: Option<Bound<'_, PyAny>>,
        issuer: Option<Bound<'_, PyAny>>,
        keys_url: Option<String>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let common = Common::from_kwargs(py, options, "AlbJwtVerifier", false)?;
        let list = |value: Option<Bound<'_, PyAny>>, name| match value.filter(|v| !v.is_none()) {
            Some(value) => strings(&value, name),
            None => Ok(Vec::new()),
        };
        let verifier = Self::init(
            py,
            strings(&load_balancer_arn, "load_balancer_arn")?,
            list(client_id, "client_id")?,
            list(issuer, "issuer")?,
            keys_url,
            common,
        )?;
        Ok(PyClassInitializer::from(verifier).add_subclass(Self))
    }

    /// The verifier `ALB_ARN` (comma-separated), `ALB_CLIENT_ID`,
    /// `ALB_ISSUER` and `ALB_KEYS_URL` describe, as the example servers
    /// and the CLI read them.
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Py<Self>> {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let split = |name: &str| -> Vec<String> {
            read(name)
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let arns = split("ALB_ARN");
        if arns.is_empty() {
            return Err(errors::config_message(
                py,
                "ALB_ARN is not set: the load balancer ARN(s) whose x-amzn-oidc-data headers are trusted, comma-separated",
                Some("ALB_ARN"),
            ));
        }
        let verifier = Self::init(
            py,
            arns,
            split("ALB_CLIENT_ID"),
            split("ALB_ISSUER"),
            read("ALB_KEYS_URL"),
            Common::default(),
        )?;
        Py::new(py, PyClassInitializer::from(verifier).add_subclass(Self))
    }
}

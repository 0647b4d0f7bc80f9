//! Core errors as the package's Python exceptions (`cognito_jwt._errors`).
//!
//! An exception's text is the rejection's fixed description, never the
//! core's message: no token, claim value or key-set URL reaches
//! `str(exception)`, a traceback or a log line.

use cognito_jwt_core::http::{AuthRejection, DEFAULT_REALM};
use cognito_jwt_core::{ConfigError, Error};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

static REJECTION: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CONFIG_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn errors_attr<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.get_or_try_init(py, || {
        Ok(py.import("cognito_jwt._errors")?.getattr(name)?.unbind())
    })
    .map(|attr| attr.bind(py))
}

/// The exception for a refused request or token: the class of its kind
/// (or of a missing token, or a bad request), with the answer an HTTP
/// server gives.
pub(crate) fn rejection(py: Python<'_>, rejection: &AuthRejection, realm: &str) -> PyErr {
    let make = || -> PyResult<PyErr> {
        let factory = errors_attr(py, &REJECTION, "_rejection")?;
        let category = match rejection {
            AuthRejection::Token(error) => error.kind().as_str(),
            rejection if rejection.is_missing() => "missing",
            _ => "invalid_request",
        };
        let exception = factory.call1((
            category,
            rejection.description(),
            rejection.status(),
            rejection.www_authenticate(realm),
            rejection.retry_after_secs(),
            rejection.body_json(),
        ))?;
        Ok(PyErr::from_value(exception))
    };
    make().unwrap_or_else(|err| err)
}

/// The exception for a token `verify` refused.
pub(crate) fn token(py: Python<'_>, error: Error) -> PyErr {
    rejection(py, &AuthRejection::Token(error), DEFAULT_REALM)
}

/// `cognito_jwt.ConfigError` with the core's message (the setting or
/// variable named, and a near miss of its name when one is set).
pub(crate) fn config(py: Python<'_>, error: &ConfigError) -> PyErr {
    config_message(py, &error.to_string(), error.name())
}

/// `cognito_jwt.ConfigError` with this message.
pub(crate) fn config_message(py: Python<'_>, message: &str, name: Option<&str>) -> PyErr {
    let make = || -> PyResult<PyErr> {
        let class = errors_attr(py, &CONFIG_ERROR, "ConfigError")?;
        Ok(PyErr::from_value(class.call1((message, name))?))
    };
    make().unwrap_or_else(|err| err)
}

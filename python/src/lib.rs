//! `cognito_jwt._native`: the extension module of the `cognito-jwt`
//! Python package. The Python side (`cognito_jwt/`) re-exports it, defines
//! the exceptions, the test kit's wrapper and the framework helpers.

mod convert;
mod errors;
mod options;
mod revocation;
mod runtime;
mod testing;
mod verifier;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<verifier::Verifier>()?;
    m.add_class::<verifier::CognitoJwtVerifier>()?;
    m.add_class::<verifier::PyUserPool>()?;
    m.add_class::<verifier::JwtVerifier>()?;
    m.add_class::<verifier::AlbJwtVerifier>()?;
    m.add_class::<verifier::Requirements>()?;
    m.add_class::<revocation::RevocationList>()?;
    m.add_class::<testing::NativeTestIssuer>()?;
    m.add_function(wrap_pyfunction!(runtime::before_fork, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::runtime_running, m)?)?;
    m.add(
        "ERROR_KINDS",
        cognito_jwt_core::ErrorKind::ALL
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}

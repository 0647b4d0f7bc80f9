//! What the fuzz targets share: a runtime for the async paths, an in-process
//! key endpoint serving fuzzer bytes, splicing fuzzer bytes into genuine
//! input, and verdicts to compare across two public paths.

use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use cognito_jwt_core::{Error, ErrorKind, FetchError, FetchFuture, JwksFetcher};

/// Run `future` to completion on one shared current-thread runtime (with
/// Tokio time, which the key-set fetch gate uses for its time-outs).
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime")
    });
    RUNTIME.block_on(future)
}

/// A key endpoint without the network: `document` at `url` (at every URL
/// when `url` is `None`), `elsewhere` at every other URL (else a 404), and
/// a record of the URLs asked for. Clones share one record.
#[derive(Debug, Clone)]
pub struct Endpoint {
    url: Option<String>,
    document: Arc<Vec<u8>>,
    elsewhere: Option<Arc<Vec<u8>>>,
    asked: Arc<Mutex<Vec<String>>>,
}

impl Endpoint {
    /// `document` at every URL.
    pub fn everywhere(document: &[u8]) -> Self {
        Self {
            url: None,
            document: Arc::new(document.to_vec()),
            elsewhere: None,
            asked: Arc::default(),
        }
    }

    /// `document` at `url`, `elsewhere` at every other URL.
    pub fn at(url: &str, document: &[u8], elsewhere: &str) -> Self {
        Self {
            url: Some(url.to_owned()),
            document: Arc::new(document.to_vec()),
            elsewhere: Some(Arc::new(elsewhere.as_bytes().to_vec())),
            asked: Arc::default(),
        }
    }

    /// The URLs fetched so far, in order.
    pub fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl JwksFetcher for Endpoint {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(url.to_owned());
        let answer = match (&self.url, &self.elsewhere) {
            (Some(at), Some(elsewhere)) if at != url => Ok(elsewhere.to_vec()),
            (Some(at), None) if at != url => Err(FetchError::http_status(404, "not found")),
            _ => Ok(self.document.to_vec()),
        };
        Box::pin(async move { answer })
    }
}

/// Fuzzer input as a candidate: the raw bytes when the first byte is even
/// (or the input too short), else one of `genuine` (picked by the first
/// byte) with the bytes after the next two spliced in at the position
/// those two give, overwriting as many bytes as they replace.
pub fn candidate(data: &[u8], genuine: &[&[u8]]) -> Vec<u8> {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 1 && rest.len() >= 2 && !genuine.is_empty() => {
            let template = genuine[usize::from(*mode / 2) % genuine.len()];
            let at = usize::from(u16::from_le_bytes([rest[0], rest[1]])) % (template.len() + 1);
            let insert = &rest[2..];
            let mut spliced = template[..at].to_vec();
            spliced.extend_from_slice(insert);
            spliced.extend_from_slice(&template[(at + insert.len()).min(template.len())..]);
            spliced
        }
        _ => data.to_vec(),
    }
}

/// The verdict of a verification, comparable across paths: `None` for an
/// accepted token, else the refusal's kind (which must be a known one).
pub fn verdict<T>(result: &Result<T, Error>) -> Option<ErrorKind> {
    match result {
        Ok(_) => None,
        Err(error) => {
            assert!(ErrorKind::ALL.contains(&error.kind()), "{error:?}");
            Some(error.kind())
        }
    }
}

/// Replace each `(placeholder, value)` in `text`, so that corpus files can
/// name this process's genuine keys and tokens (fresh in every process).
pub fn substitute(text: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(text.to_owned(), |text, (placeholder, value)| {
            text.replace(placeholder, value)
        })
}

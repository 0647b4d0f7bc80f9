//! DPoP (RFC 9449): proofs checked against the request, tokens bound to
//! their keys, replays, nonces, downgrades, and the answers
//! (`http::authenticate_request`), on the shared case table the adapters
//! run too.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cognito_jwt_core::http::{AuthRejection, HttpRequest, TokenSource, authenticate_request};
use cognito_jwt_core::testing::{DpopKey, TestOidcIssuer};
use cognito_jwt_core::{
    Algorithm, Dpop, DpopRequest, ErrorKind, FirstUse, GrpcCode, JwtVerifier, ProofReplay,
    ReplayStore, ReplayUnavailable, Requirements, StandardClaims,
};
use cognito_jwt_test_support::{DPOP_ORIGIN, DPOP_PATH, DpopSuite};

const AUDIENCE: &str = "orders";
const URL: &str = "https://api.example.com/orders";

fn issuer() -> TestOidcIssuer {
    TestOidcIssuer::new("https://login.example.com", Algorithm::RS256)
}

fn verifier_with(issuer: &TestOidcIssuer, dpop: Dpop) -> JwtVerifier {
    issuer.verifier_from(
        issuer
            .verifier_builder(issuer.issuer_config(AUDIENCE))
            .dpop(dpop),
    )
}

async fn with_proof(
    verifier: &JwtVerifier,
    token: &str,
    proof: &str,
) -> Result<StandardClaims, ErrorKind> {
    let request = DpopRequest::new(proof, "GET", URL);
    verifier
        .verify_dpop_with::<StandardClaims>(token, &Requirements::new(), &request)
        .await
        .map_err(|e| e.kind())
}

#[tokio::test]
async fn the_shared_case_table_through_authenticate_request() {
    for suite in DpopSuite::all() {
        for case in &suite.cases {
            let request = HttpRequest::new(case.method, &case.target)
                .token_header(case.authorization.iter().map(Vec::as_slice))
                .dpop(case.dpop.iter().map(Vec::as_slice));
            let outcome = authenticate_request::<StandardClaims>(
                &suite.verifier,
                &TokenSource::AuthorizationHeader,
                &Requirements::new(),
                &request,
            )
            .await;
            let (status, challenge, nonce) = match &outcome {
                Ok(_) => (200, None, false),
                Err(rejection) => (
                    rejection.status(),
                    rejection.www_authenticate("api"),
                    rejection.dpop_nonce().is_some(),
                ),
            };
            assert_eq!(status, case.status, "{}: {outcome:?}", case.name);
            assert_eq!(challenge, case.www_authenticate, "{}", case.name);
            assert_eq!(nonce, case.dpop_nonce, "{}", case.name);
            if let Err(rejection) = outcome {
                let body = rejection.body_json();
                assert!(!body.contains("eyJ"), "{}: {body}", case.name);
                assert_eq!(
                    rejection.grpc_code(),
                    GrpcCode::Unauthenticated,
                    "{}",
                    case.name
                );
            }
        }
    }
}

#[tokio::test]
async fn every_algorithm_of_the_default_list_signs_a_good_proof() {
    let issuer = issuer();
    let verifier = verifier_with(&issuer, Dpop::new("https://api.example.com"));
    for algorithm in [
        Algorithm::ES256,
        Algorithm::EdDSA,
        Algorithm::RS256,
        Algorithm::PS256,
    ] {
        let key = DpopKey::generate(algorithm);
        let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
        let proof = key.proof("GET", URL).access_token(&token).sign();
        assert!(
            with_proof(&verifier, &token, &proof).await.is_ok(),
            "{algorithm}"
        );
    }
}

#[tokio::test]
async fn a_token_cache_hit_still_checks_the_proof_and_the_binding() {
    let issuer = issuer();
    let verifier = issuer.verifier_from(
        issuer
            .verifier_builder(issuer.issuer_config(AUDIENCE))
            .token_cache_max_bytes(1 << 20)
            .dpop(Dpop::new("https://api.example.com")),
    );
    let key = DpopKey::generate(Algorithm::ES256);
    let other = DpopKey::generate(Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
    let good = || key.proof("GET", URL).access_token(&token).sign();
    assert!(with_proof(&verifier, &token, &good()).await.is_ok());
    let used = good();
    assert!(with_proof(&verifier, &token, &used).await.is_ok());
    assert_eq!(
        with_proof(&verifier, &token, &used).await.err(),
        Some(ErrorKind::DpopProofReplayed)
    );
    let wrong_key = other.proof("GET", URL).access_token(&token).sign();
    assert_eq!(
        with_proof(&verifier, &token, &wrong_key).await.err(),
        Some(ErrorKind::DpopBindingMismatch)
    );
    let wrong_ath = key.proof("GET", URL).access_token("another").sign();
    assert_eq!(
        with_proof(&verifier, &token, &wrong_ath).await.err(),
        Some(ErrorKind::InvalidDpopProof)
    );
    assert_eq!(
        verifier
            .verify::<StandardClaims>(&token)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::DpopRequired)
    );
}

#[tokio::test]
async fn a_bound_token_is_refused_as_bearer_even_without_dpop_settings() {
    let issuer = issuer();
    let verifier = issuer.verifier(AUDIENCE);
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
    let refused = verifier.verify_sync::<StandardClaims>(&token).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::DpopRequired);
    let proof = key.proof("GET", URL).access_token(&token).sign();
    assert_eq!(
        with_proof(&verifier, &token, &proof).await.err(),
        Some(ErrorKind::InvalidDpopProof)
    );
    let unbound = issuer.access_token(AUDIENCE).sign();
    assert!(verifier.verify_sync::<StandardClaims>(&unbound).is_ok());
}

#[tokio::test]
async fn an_issuer_can_require_dpop_and_unbound_tokens_can_be_accepted_with_proofs() {
    let issuer = issuer();
    let dpop_only = issuer.verifier_from(
        issuer
            .verifier_builder(issuer.issuer_config(AUDIENCE).require_dpop())
            .dpop(Dpop::new("https://api.example.com").accept_unbound_tokens(true)),
    );
    let unbound = issuer.access_token(AUDIENCE).sign();
    assert_eq!(
        dpop_only
            .verify::<StandardClaims>(&unbound)
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::DpopRequired)
    );
    let key = DpopKey::generate(Algorithm::ES256);
    let proof = key.proof("GET", URL).access_token(&unbound).sign();
    assert!(with_proof(&dpop_only, &unbound, &proof).await.is_ok());

    let request = HttpRequest::new("GET", "/orders").token_header([&b"Bearer x.y.z"[..]]);
    let rejection = authenticate_request::<StandardClaims>(
        &dpop_only,
        &TokenSource::AuthorizationHeader,
        &Requirements::new(),
        &request,
    )
    .await
    .unwrap_err();
    assert_eq!(
        rejection.www_authenticate("api").as_deref(),
        Some(
            "DPoP realm=\"api\", algs=\"RS256 PS256 ES256 EdDSA\", error=\"invalid_token\", \
             error_description=\"the token is invalid\""
        ),
        "no Bearer challenge when every issuer requires DPoP"
    );
    let without_dpop = issuer.verifier_builder(issuer.issuer_config(AUDIENCE).require_dpop());
    let error = without_dpop.build().unwrap_err();
    assert_eq!(error.name(), Some("require_dpop"));
}

#[tokio::test]
async fn a_full_replay_store_refuses_new_proofs_and_forgets_none() {
    let issuer = issuer();
    let store = std::sync::Arc::new(ReplayStore::new(1));
    #[derive(Debug)]
    struct Shared(std::sync::Arc<ReplayStore>);
    impl ProofReplay for Shared {
        fn first_use(
            &self,
            key: &str,
            expires_at_ms: u64,
            now_ms: u64,
        ) -> Result<bool, cognito_jwt_core::ReplayUnavailable> {
            self.0.first_use(key, expires_at_ms, now_ms)
        }
    }
    let verifier = verifier_with(
        &issuer,
        Dpop::new("https://api.example.com").replay_store(Shared(store.clone())),
    );
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
    let first = key.proof("GET", URL).access_token(&token).sign();
    assert!(with_proof(&verifier, &token, &first).await.is_ok());
    let second = key.proof("GET", URL).access_token(&token).sign();
    let full = with_proof(&verifier, &token, &second).await.err();
    assert_eq!(full, Some(ErrorKind::DpopReplayUnavailable));
    assert_eq!(ErrorKind::DpopReplayUnavailable.http_class().status(), 503);
    assert_eq!(
        with_proof(&verifier, &token, &first).await.err(),
        Some(ErrorKind::DpopProofReplayed)
    );
    assert_eq!(store.len(), 1);
}

#[test]
fn settings_out_of_range_fail_the_build_naming_them() {
    let issuer = issuer();
    let build = |dpop: Dpop| {
        issuer
            .verifier_builder(issuer.issuer_config(AUDIENCE))
            .dpop(dpop)
            .build()
            .err()
            .and_then(|e| e.name().map(str::to_owned))
    };
    let origin = "https://api.example.com";
    for (dpop, name) in [
        (Dpop::new("api.example.com"), "dpop.external_origin"),
        (
            Dpop::new("https://api.example.com/orders?v=1"),
            "dpop.external_origin",
        ),
        (
            Dpop::new("https://api.example.com/orders#top"),
            "dpop.external_origin",
        ),
        (
            Dpop::new("https://api.example.com//orders"),
            "dpop.external_origin",
        ),
        (
            Dpop::new("https://user@api.example.com"),
            "dpop.external_origin",
        ),
        (Dpop::new(origin).algorithms([]), "dpop.algorithms"),
        (
            Dpop::new(origin).iat_window(Duration::ZERO),
            "dpop.iat_window",
        ),
        (
            Dpop::new(origin).iat_window(Duration::from_secs(301)),
            "dpop.iat_window",
        ),
        (
            Dpop::new(origin).nonces(*b"short", Duration::from_secs(60)),
            "dpop.nonces",
        ),
    ] {
        assert_eq!(build(dpop).as_deref(), Some(name));
    }
    assert_eq!(build(Dpop::new("HTTPS://API.example.com:443/")), None);
    assert_eq!(build(Dpop::new("https://api.example.com/orders")), None);
}

#[tokio::test]
async fn malformed_proofs_and_headers_are_refused_without_panic() {
    let issuer = issuer();
    let verifier = verifier_with(&issuer, Dpop::new("https://api.example.com"));
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
    let good = key.proof("GET", URL).access_token(&token).sign();
    let (header, rest) = good.split_once('.').unwrap_or_default();
    let long = "a".repeat(10_000);
    for bad in [
        "",
        ".",
        "..",
        "a.b.c",
        "e30.e30.",
        &long,
        &format!("{header}.{rest}.extra"),
        &format!("{header}=.{rest}"),
        &good.replace('.', ".\u{e9}"),
        &key.proof("GET", URL)
            .access_token(&token)
            .header("crit", ["exp"])
            .sign(),
        &key.proof("GET", URL)
            .access_token(&token)
            .header("jwk", "a string")
            .sign(),
        &key.proof("GET", URL)
            .access_token(&token)
            .header("jwk", serde_json::json!({"kty": "oct", "k": "AAAA"}))
            .sign(),
        &key.proof("GET", URL)
            .access_token(&token)
            .claim("iat", "now")
            .sign(),
        &key.proof("GET", URL)
            .access_token(&token)
            .claim("htm", 5)
            .sign(),
        &key.proof("GET", URL)
            .access_token(&token)
            .claim("jti", "x".repeat(300))
            .sign(),
        &key.proof("GET", URL)
            .access_token(&token)
            .header("typ", "jwt")
            .sign(),
    ] {
        assert_eq!(
            with_proof(&verifier, &token, bad).await.err(),
            Some(ErrorKind::InvalidDpopProof),
            "{:?}",
            bad.get(..40)
        );
    }
    let duplicated = {
        let header = r#"{"typ":"dpop+jwt","typ":"dpop+jwt","alg":"ES256"}"#;
        cognito_jwt_core::testing::b64(header)
    };
    let forged = format!("{duplicated}.{rest}");
    assert_eq!(
        with_proof(&verifier, &token, &forged).await.err(),
        Some(ErrorKind::InvalidDpopProof)
    );
    let message = verifier
        .verify_dpop_with::<StandardClaims>(
            &token,
            &Requirements::new(),
            &DpopRequest::new(&good, "POST", URL),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        !message.contains(&good) && !message.contains(&token),
        "{message}"
    );
}

#[tokio::test]
async fn htu_is_the_configured_origin_and_the_request_path_never_the_request_host() {
    let issuer = issuer();
    let verifier = verifier_with(&issuer, Dpop::new(DPOP_ORIGIN));
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
    let authorization = format!("DPoP {token}").into_bytes();
    let send = |target: &'static str, htu: String| {
        let proof = key.proof("GET", &htu).access_token(&token).sign();
        let (authorization, verifier) = (authorization.clone(), verifier.clone());
        async move { send_get(&verifier, target, &authorization, &proof).await }
    };
    assert!(
        send(DPOP_PATH, format!("{DPOP_ORIGIN}{DPOP_PATH}"))
            .await
            .is_ok()
    );
    assert!(
        send(
            DPOP_PATH,
            format!("HTTPS://API.EXAMPLE.COM:443{DPOP_PATH}?x#y")
        )
        .await
        .is_ok()
    );
    // An absolute-form target names the attacker's host: only its path counts.
    assert!(
        send(
            "https://evil.example.com/api/dpop",
            format!("{DPOP_ORIGIN}{DPOP_PATH}")
        )
        .await
        .is_ok()
    );
    assert_eq!(
        send(
            "https://evil.example.com/api/dpop",
            format!("https://evil.example.com{DPOP_PATH}")
        )
        .await
        .err(),
        Some(Some(ErrorKind::InvalidDpopProof))
    );
}

#[tokio::test]
async fn behind_a_prefix_stripping_proxy_htu_is_the_prefix_joined_with_the_path() {
    let issuer = issuer();
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
    let authorization = format!("DPoP {token}").into_bytes();
    let send = |verifier: JwtVerifier, target: &'static str, htu: &str| {
        let proof = key.proof("GET", htu).access_token(&token).sign();
        let authorization = authorization.clone();
        async move { send_get(&verifier, target, &authorization, &proof).await }
    };
    // The proxy serves https://example.com/api/... and forwards /orders.
    for base in ["https://example.com/api", "HTTPS://Example.com:443/api/"] {
        let verifier = verifier_with(&issuer, Dpop::new(base));
        assert!(
            send(
                verifier.clone(),
                "/orders",
                "https://example.com/api/orders"
            )
            .await
            .is_ok(),
            "{base}"
        );
        for wrong in [
            "https://example.com/orders",
            "https://example.com/api//orders",
            "https://example.com/apiorders",
        ] {
            assert_eq!(
                send(verifier.clone(), "/orders", wrong).await.err(),
                Some(Some(ErrorKind::InvalidDpopProof)),
                "{base} {wrong}"
            );
        }
    }
    // An origin alone: the request path as sent.
    let verifier = verifier_with(&issuer, Dpop::new("https://example.com"));
    assert!(
        send(
            verifier.clone(),
            "/api/orders",
            "https://example.com/api/orders"
        )
        .await
        .is_ok()
    );
    assert_eq!(
        send(verifier, "/orders", "https://example.com/api/orders")
            .await
            .err(),
        Some(Some(ErrorKind::InvalidDpopProof))
    );
}

/// What a [`GatedStore`] shares with its test: the gate its async answer
/// waits on, and the calls of each path.
#[derive(Debug, Default)]
struct Gate {
    open: tokio::sync::Notify,
    sync_calls: AtomicUsize,
    async_calls: AtomicUsize,
}

/// A store whose async answer ("seen before") waits until the test opens
/// its gate.
#[derive(Debug, Clone)]
struct GatedStore(Arc<Gate>);

impl ProofReplay for GatedStore {
    fn first_use(&self, _: &str, _: u64, _: u64) -> Result<bool, ReplayUnavailable> {
        self.0.sync_calls.fetch_add(1, Ordering::SeqCst);
        Ok(true)
    }

    fn first_use_async<'a>(&'a self, _: &'a str, _: u64, _: u64) -> FirstUse<'a> {
        self.0.async_calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            self.0.open.notified().await;
            Ok(false)
        })
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_path_awaits_the_store_and_leaves_the_thread_to_other_tasks() {
    let issuer = issuer();
    let gate = Arc::new(Gate::default());
    let verifier = verifier_with(
        &issuer,
        Dpop::new("https://api.example.com").replay_store(GatedStore(Arc::clone(&gate))),
    );
    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer.access_token(AUDIENCE).bound_to(&key).sign();
    let proof = key.proof("GET", URL).access_token(&token).sign();
    let verification = tokio::spawn(async move { with_proof(&verifier, &token, &proof).await });
    // Only this thread runs tasks: the verification runs until it waits
    // on the store (or ends, if it never awaited the async path), and
    // this task goes on only when the thread is free.
    while gate.async_calls.load(Ordering::SeqCst) == 0 && !verification.is_finished() {
        tokio::task::yield_now().await;
    }
    assert_eq!(gate.async_calls.load(Ordering::SeqCst), 1);
    assert_eq!(gate.sync_calls.load(Ordering::SeqCst), 0);
    let other = Arc::new(AtomicUsize::new(0));
    let progress = tokio::spawn({
        let other = Arc::clone(&other);
        async move {
            other.fetch_add(1, Ordering::SeqCst);
        }
    });
    progress.await.expect("the other task");
    assert_eq!(other.load(Ordering::SeqCst), 1);
    assert!(!verification.is_finished(), "it waits for the store");
    gate.open.notify_one();
    // The store's answer is the verification's: "seen before".
    assert_eq!(
        verification.await.expect("the verification").err(),
        Some(ErrorKind::DpopProofReplayed)
    );
    assert_eq!(gate.async_calls.load(Ordering::SeqCst), 1);
    assert_eq!(gate.sync_calls.load(Ordering::SeqCst), 0);
}

/// `GET target` with `authorization` and one DPoP `proof`, through
/// `authenticate_request`: the claims, or the refusal's kind.
async fn send_get(
    verifier: &JwtVerifier,
    target: &str,
    authorization: &[u8],
    proof: &str,
) -> Result<StandardClaims, Option<ErrorKind>> {
    let request = HttpRequest::new("GET", target)
        .token_header([authorization])
        .dpop([proof.as_bytes()]);
    authenticate_request::<StandardClaims>(
        verifier,
        &TokenSource::AuthorizationHeader,
        &Requirements::new(),
        &request,
    )
    .await
    .map_err(|r: AuthRejection| r.kind())
}

//! The core's spans reach OpenTelemetry through `telemetry::cognito_jwt_spans`,
//! here with the SDK's in-memory exporter; and the workspace README shows
//! that code.

use cognito_jwt_core::testing::{TestIssuer, TestKey};
use cognito_jwt_core::{AccessTokenClaims, TokenUse};
use cognito_jwt_mcp_example::telemetry::cognito_jwt_spans;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::prelude::*;

const CLIENT: &str = "otel-client";

/// A tracer provider exporting into memory, and a subscriber with the
/// layer under test (installed per test, on the test's thread only).
fn exporting() -> (
    InMemorySpanExporter,
    SdkTracerProvider,
    impl tracing::Subscriber,
) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let subscriber = tracing_subscriber::registry().with(cognito_jwt_spans(&provider));
    (exporter, provider, subscriber)
}

fn exported(
    exporter: &InMemorySpanExporter,
    provider: &SdkTracerProvider,
    name: &str,
) -> Vec<SpanData> {
    provider.force_flush().expect("flushed");
    let spans = exporter.get_finished_spans().expect("the exported spans");
    spans.into_iter().filter(|span| span.name == name).collect()
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

#[test]
fn a_verification_is_exported_as_a_span_with_its_outcome() {
    let issuer = TestIssuer::new("eu-west-1_OtelPool1");
    let verifier = issuer.verifier(CLIENT, TokenUse::Access);
    let genuine = issuer.access_token(CLIENT).sign();
    let forged = issuer
        .access_token(CLIENT)
        .sign_with(&TestKey::generate(issuer.key().kid()));
    let (exporter, provider, subscriber) = exporting();
    tracing::subscriber::with_default(subscriber, || {
        verifier
            .verify_sync::<AccessTokenClaims>(&genuine)
            .expect("genuine");
        verifier
            .verify_sync::<AccessTokenClaims>(&forged)
            .expect_err("forged");
    });

    let spans = exported(&exporter, &provider, "cognito_jwt.verify");
    assert_eq!(spans.len(), 2, "one span per verification");
    let (ok, refused) = (&spans[0], &spans[1]);
    assert_eq!(attribute(ok, "cognito_jwt.outcome").as_deref(), Some("ok"));
    assert_eq!(
        attribute(ok, "cognito_jwt.token_use").as_deref(),
        Some("access")
    );
    assert_eq!(ok.status, Status::Unset);
    assert_eq!(
        attribute(refused, "cognito_jwt.outcome").as_deref(),
        Some("invalid_signature")
    );
    assert_eq!(
        attribute(refused, "error.type").as_deref(),
        Some("invalid_signature")
    );
    assert!(
        matches!(refused.status, Status::Error { .. }),
        "{:?}",
        refused.status
    );
    let segments: Vec<&str> = genuine.split('.').chain(forged.split('.')).collect();
    for kv in spans.iter().flat_map(|span| &span.attributes) {
        let value = kv.value.as_str();
        assert!(
            !segments.iter().any(|segment| value.contains(segment)),
            "{} holds a part of a token",
            kv.key
        );
    }
}

#[tokio::test]
async fn a_key_set_fetch_is_exported_as_a_span() {
    let issuer = TestIssuer::new("eu-west-1_OtelPool2");
    // Built without the key set cached: the first verification fetches it
    // (in-process, through the issuer's fetcher).
    let verifier = issuer
        .verifier_builder(CLIENT, TokenUse::Access)
        .build()
        .expect("verifier");
    let token = issuer.access_token(CLIENT).sign();
    let (exporter, provider, subscriber) = exporting();
    // On this test's thread, where the current-thread runtime also runs the
    // fetch task.
    let _guard = tracing::subscriber::set_default(subscriber);
    verifier
        .verify::<AccessTokenClaims>(&token)
        .await
        .expect("verified after a fetch");

    let fetches = exported(&exporter, &provider, "cognito_jwt.key_fetch");
    assert_eq!(fetches.len(), 1, "one fetch");
    assert_eq!(
        attribute(&fetches[0], "cognito_jwt.fetch.outcome").as_deref(),
        Some("ok")
    );
    assert_eq!(
        attribute(&fetches[0], "cognito_jwt.fetch.reason").as_deref(),
        Some("cold")
    );
    assert_eq!(
        exported(&exporter, &provider, "cognito_jwt.verify").len(),
        1
    );
}

#[test]
fn the_readme_shows_the_compiled_wiring() {
    let readme = include_str!("../../../README.md");
    let source = include_str!("../src/telemetry.rs");
    let marker = "[`examples/mcp/src/telemetry.rs`]";
    let after = &readme[readme.find(marker).expect("the README names the file")..];
    let start = after.find("```rust").expect("a code block after it");
    let block = &after[start..];
    let block = &block[block.find('\n').expect("the fence's line") + 1..];
    let block = &block[..block.find("```").expect("the closing fence")];
    assert!(
        source.contains(block),
        "README's Tracing block is not the code of examples/mcp/src/telemetry.rs:\n{block}"
    );
}

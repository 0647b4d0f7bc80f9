//! The core's tracing spans, exported to OpenTelemetry.
//!
//! The core runs each verification in a `cognito_jwt.verify` span and each
//! key-set fetch in a `cognito_jwt.key_fetch` span, with OpenTelemetry
//! field names (the workspace README, "Tracing").
//! [`tracing_opentelemetry`]'s layer turns them into spans of an
//! OpenTelemetry tracer: fields become attributes, `otel.status_code`
//! the span's status. Give it the tracer provider your exporter is
//! installed in (OTLP in production; the tests use the SDK's in-memory
//! exporter), and add it to the subscriber beside your log layer.

// The workspace README's "Tracing" section shows the code from here to the
// end of `cognito_jwt_spans` verbatim (a test checks it), so that what it
// shows compiles.
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

/// A layer exporting the `cognito_jwt.*` spans to `provider`'s tracer.
/// Install it beside your log layer:
/// `tracing_subscriber::registry().with(fmt_layer).with(cognito_jwt_spans(&provider)).init()`.
pub fn cognito_jwt_spans<S>(provider: &SdkTracerProvider) -> impl Layer<S> + use<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    // A filter of this layer's own: these spans pass at any level (the
    // verify span is at debug) while the log layer keeps its level.
    let spans =
        filter_fn(|metadata| metadata.is_span() && metadata.name().starts_with("cognito_jwt."));
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("cognito-jwt"))
        .with_filter(spans)
}

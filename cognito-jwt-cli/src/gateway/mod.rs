//! `cognito-jwt gateway`: a forward-auth verifier for reverse proxies.
//!
//! nginx `auth_request`, Caddy `forward_auth` and Traefik `ForwardAuth`
//! ask `GET /auth` (any method) whether a request may pass; Envoy and
//! Istio ask the gRPC `envoy.service.auth.v3.Authorization/Check`. Both
//! take one [`decision`](decision::decide): the token verified as the
//! example servers verify it, the identity as `X-Auth-*` headers on every
//! allowed answer, the servers' refusals otherwise.
//!
//! The verifier is configured by the variables the example servers read
//! or their flags (exactly one of `COGNITO_USER_POOL_ID`, `OIDC_ISSUER`
//! and `ALB_ARN` chooses its kind), the gateway by its own flags or their
//! variables ([`GatewayArgs`]).

mod decision;
mod grpc;
mod http;
mod rules;
mod settings;
mod verifier_flags;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use cognito_jwt_core::Verify as _;
use metrics_exporter_prometheus::PrometheusBuilder;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub(crate) use settings::GatewayArgs;

use crate::{EXIT_UNAVAILABLE, EXIT_USAGE, Outcome};
use decision::Decision;
use settings::Gateway;

/// The decision counter: `cognito_jwt_gateway_decisions_total`, labelled
/// by `outcome` (`allowed`, `anonymous`, `unauthorized`, `forbidden`,
/// `invalid_request`, `unavailable`, `misconfigured`) and `protocol`
/// (`http`, `grpc`).
const DECISIONS: &str = "cognito_jwt_gateway_decisions_total";

/// How long start-up waits for the key set before serving anyway (checks
/// are answered 503 until it arrives).
const HYDRATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Run the gateway until SIGTERM or Ctrl-C; the checks in flight finish
/// first.
pub(crate) fn run(args: &GatewayArgs) -> Outcome {
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            (
                EXIT_UNAVAILABLE,
                format!("unavailable: cannot start the runtime: {e}"),
            )
        })?;
    runtime.block_on(serve(args))
}

async fn serve(args: &GatewayArgs) -> Outcome {
    // Before the verifier is built: it registers its series then.
    let prometheus = PrometheusBuilder::new().install_recorder().map_err(|e| {
        (
            EXIT_UNAVAILABLE,
            format!("unavailable: cannot install the metrics recorder: {e}"),
        )
    })?;
    cognito_jwt_core::metrics::describe();
    metrics::describe_counter!(
        DECISIONS,
        "Checks answered by the gateway, by outcome and protocol."
    );
    let gateway =
        Arc::new(Gateway::from_args(args).map_err(|e| (EXIT_USAGE, format!("error: {e}")))?);
    let http_listener = bind(args.bind_addr, "--bind-addr / BIND_ADDR").await?;
    let grpc_listener = match args.grpc_addr {
        Some(addr) => Some(bind(addr, "--grpc-addr / GATEWAY_GRPC_ADDR").await?),
        None => None,
    };
    let (stop, stopped) = watch::channel(false);
    let wait = |mut stopped: watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };

    let address = http_listener.local_addr().unwrap_or(args.bind_addr);
    println!("listening on http://{address}");
    let http = axum::serve(http_listener, http::router(gateway.clone(), prometheus))
        .with_graceful_shutdown(wait(stopped.clone()));
    let grpc = grpc_listener.map(|listener| {
        let address = listener.local_addr().unwrap_or(address);
        println!("grpc listening on {address}");
        let service = envoy_types::ext_authz::v3::pb::AuthorizationServer::new(grpc::ExtAuthz {
            gateway: gateway.clone(),
        });
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                wait(stopped.clone()),
            )
    });
    tracing::info!(
        %address,
        grpc = args.grpc_addr.is_some(),
        anonymous = ?gateway.anonymous,
        "gateway started"
    );
    tokio::spawn(hydrate_and_log(gateway.clone()));
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });

    let grpc = async move {
        match grpc {
            Some(server) => server.await.map_err(|e| e.to_string()),
            None => Ok(()),
        }
    };
    let (http, grpc) = tokio::join!(http, grpc);
    http.map_err(|e| {
        (
            EXIT_UNAVAILABLE,
            format!("unavailable: the HTTP server failed: {e}"),
        )
    })?;
    grpc.map_err(|e| {
        (
            EXIT_UNAVAILABLE,
            format!("unavailable: the gRPC server failed: {e}"),
        )
    })?;
    tracing::info!("gateway stopped");
    Ok(())
}

async fn bind(addr: SocketAddr, option: &str) -> Result<TcpListener, (u8, String)> {
    TcpListener::bind(addr).await.map_err(|e| {
        (
            EXIT_UNAVAILABLE,
            format!("unavailable: {option}: cannot listen on {addr}: {e}"),
        )
    })
}

/// Count a decision and log it (outcome and latency, never the token).
fn record(decision: &Decision, protocol: &'static str, started: Instant) {
    let outcome = decision.outcome();
    metrics::counter!(DECISIONS, "outcome" => outcome, "protocol" => protocol).increment(1);
    tracing::debug!(
        outcome,
        protocol,
        latency_us = started.elapsed().as_micros(),
        "check"
    );
}

/// Fetch the key sets once and log the outcome; never fails: the gateway
/// must start during a key-set outage and answer 503 until it ends.
async fn hydrate_and_log(gateway: Arc<Gateway>) {
    match tokio::time::timeout(HYDRATE_TIMEOUT, gateway.verifier.hydrate()).await {
        Ok(Ok(())) => tracing::info!("key set loaded"),
        Ok(Err(error)) => tracing::warn!(
            reason = %error.message(),
            "key set unavailable at start-up; checks get 503 until it can be fetched"
        ),
        Err(_) => tracing::warn!(
            timeout_s = HYDRATE_TIMEOUT.as_secs(),
            "key set not loaded in time; checks get 503 until it can be fetched"
        ),
    }
}

/// Log to stderr, filtered by `RUST_LOG` (default `info`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down after the checks in flight");
}

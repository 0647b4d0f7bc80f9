//! `cognito-jwt alb verify`: the `x-amzn-oidc-data` header an Application
//! Load Balancer signs, with the exit codes and output of `verify`.

use std::time::Duration;

use clap::{Args, Subcommand};
use cognito_jwt_core::{AlbJwtVerifier, HttpClass};

use crate::{
    EXIT_REJECTED, EXIT_UNAVAILABLE, EXIT_USAGE, Outcome, option_for, read_token, runtime,
};

/// `cognito-jwt alb …`.
#[derive(Debug, Args)]
pub(crate) struct AlbArgs {
    #[command(subcommand)]
    command: AlbCommand,
}

#[derive(Debug, Subcommand)]
enum AlbCommand {
    /// Verify an `x-amzn-oidc-data` value and print its claims as JSON.
    ///
    /// Exit codes: 0 verified; 1 rejected ("rejected: KIND: MESSAGE" on
    /// stderr); 2 usage or configuration error; 3 the load balancer's key
    /// is unavailable ("unavailable: MESSAGE" on stderr).
    Verify(AlbVerifyArgs),
}

#[derive(Debug, Args)]
struct AlbVerifyArgs {
    /// ARN of a load balancer whose tokens to accept (the header's
    /// `signer`); repeatable, comma-separated in the environment.
    #[arg(
        long = "alb-arn",
        env = "ALB_ARN",
        value_name = "ARN",
        value_delimiter = ','
    )]
    arns: Vec<String>,
    /// Accepted app client id (the header's `client`); repeatable,
    /// comma-separated in the environment. Default: any.
    #[arg(
        long = "client-id",
        env = "ALB_CLIENT_ID",
        value_name = "ID",
        value_delimiter = ','
    )]
    client_ids: Vec<String>,
    /// Expected identity provider (the header's `iss`). Default: any.
    #[arg(long, env = "ALB_ISSUER", value_name = "URL")]
    issuer: Option<String>,
    /// Fetch keys from BASE/KID instead of the load balancer's regional
    /// endpoint (http allowed here).
    #[arg(long, env = "ALB_KEYS_URL", value_name = "BASE")]
    keys_url: Option<String>,
    /// Clock-skew allowance in seconds (at most 300).
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    leeway: u64,
    /// The `x-amzn-oidc-data` value; "-" or absent reads it from stdin.
    token: Option<String>,
}

pub(crate) fn run(args: AlbArgs) -> Outcome {
    match args.command {
        AlbCommand::Verify(args) => verify(args),
    }
}

/// `alb verify`'s options, by the settings they set.
const ALB_OPTIONS: &[(&str, &str)] = &[
    ("load_balancer_arn", "--alb-arn / ALB_ARN"),
    ("client_id", "--client-id / ALB_CLIENT_ID"),
    ("issuer", "--issuer / ALB_ISSUER"),
    ("keys_url", "--keys-url / ALB_KEYS_URL"),
    ("leeway", "--leeway"),
];

fn build_verifier(args: &AlbVerifyArgs) -> Result<AlbJwtVerifier, (u8, String)> {
    if args.arns.is_empty() {
        return Err((
            EXIT_USAGE,
            "error: --alb-arn / ALB_ARN is required: the ARN of the load balancer that \
             signs the header"
                .to_owned(),
        ));
    }
    let mut builder = AlbJwtVerifier::builder().leeway(Duration::from_secs(args.leeway));
    for arn in &args.arns {
        builder = builder.load_balancer_arn(arn.trim());
    }
    for client_id in &args.client_ids {
        builder = builder.client_id(client_id.trim());
    }
    if let Some(issuer) = &args.issuer {
        builder = builder.issuer(issuer);
    }
    if let Some(base) = &args.keys_url {
        builder = builder.keys_url(base);
    }
    builder.build().map_err(|e| {
        (
            EXIT_USAGE,
            format!("error: {}: {e}", option_for(&e, ALB_OPTIONS)),
        )
    })
}

fn verify(args: AlbVerifyArgs) -> Outcome {
    let verifier = build_verifier(&args)?;
    let token = read_token(args.token)?;
    match runtime()?.block_on(verifier.verify::<serde_json::Value>(&token)) {
        Ok(claims) => {
            println!("{}", crate::output::json(&claims));
            Ok(())
        }
        Err(e) if e.kind().http_class() == HttpClass::Unavailable => {
            Err((EXIT_UNAVAILABLE, format!("unavailable: {}", e.message())))
        }
        Err(e) => Err((
            EXIT_REJECTED,
            format!("rejected: {}: {}", e.kind().as_str(), e.message()),
        )),
    }
}

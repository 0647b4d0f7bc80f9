//! A local Application Load Balancer: [`TestAlb`], its
//! `x-amzn-oidc-data` values ([`AlbTokenBuilder`]) and its key endpoint
//! ([`TestAlbKeys`]).

use std::sync::Arc;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use serde_json::json;

use super::fetchers::Routes;
use super::keys::TestCurveKey;
use super::token::{Parts, Segments, now, token_setters, unique_id};
use crate::jwks::{FetchFuture, JwksFetcher};

/// A local stand-in for an Application Load Balancer: its ARN, a P-256
/// key with a UUID `kid`, and `x-amzn-oidc-data` values signed the way the
/// load balancer signs them (ES256, every segment padded base64url).
///
/// ```
/// use cognito_jwt_core::testing::TestAlb;
/// use cognito_jwt_core::AlbClaims;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let alb = TestAlb::new("eu-west-1");
/// let verifier = alb.verifier(); // keys served by alb.key_server(), no network
/// let header = alb.data().claim("email", "jo@example.com").sign();
/// let claims: AlbClaims = verifier.verify(&header).await.unwrap();
/// assert_eq!(claims.email.as_deref(), Some("jo@example.com"));
/// assert_eq!(claims.signer, alb.arn());
/// # }
/// ```
#[derive(Debug)]
pub struct TestAlb {
    arn: String,
    partition: String,
    region: String,
    key: TestCurveKey,
    server: TestAlbKeys,
}

/// A random UUID (version 4 layout), for load balancer key ids.
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Padded base64url, as a load balancer writes each segment.
pub fn b64_padded(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

impl TestAlb {
    /// A load balancer in `region` (partition `aws`), with a fresh key and
    /// its own key server.
    pub fn new(region: &str) -> Self {
        Self::in_partition("aws", region)
    }

    /// A load balancer in `partition` and `region`, e.g. `aws-us-gov` and
    /// `us-gov-west-1`.
    pub fn in_partition(partition: &str, region: &str) -> Self {
        let mut id = [0u8; 8];
        let _ = SystemRandom::new().fill(&mut id);
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let alb = Self {
            arn: format!(
                "arn:{partition}:elasticloadbalancing:{region}:123456789012:loadbalancer/app/test-alb/{id}"
            ),
            partition: partition.to_owned(),
            region: region.to_owned(),
            key: TestCurveKey::es256(random_uuid()),
            server: TestAlbKeys::default(),
        };
        alb.server.publish(&alb);
        alb
    }

    /// The load balancer's ARN (the header's `signer`).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Its region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The `kid` of its key.
    pub fn kid(&self) -> &str {
        self.key.kid()
    }

    /// Its signing key.
    pub fn key(&self) -> &TestCurveKey {
        &self.key
    }

    /// The app client id its tokens carry in `client`.
    pub fn client_id(&self) -> &str {
        "test-alb-client"
    }

    /// The identity provider its tokens name in `iss`: a Cognito pool in
    /// its region.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{0}.amazonaws.com/{0}_TestAlb1",
            self.region
        )
    }

    /// The URL its key is published at, where the verifier fetches it:
    /// `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`, or in
    /// `aws-us-gov` the region's S3 bucket.
    pub fn key_url(&self) -> String {
        if self.partition == "aws-us-gov" {
            format!(
                "https://s3-{0}.amazonaws.com/aws-elb-public-keys-prod-{0}/{1}",
                self.region,
                self.kid()
            )
        } else {
            format!(
                "https://public-keys.auth.elb.{}.amazonaws.com/{}",
                self.region,
                self.kid()
            )
        }
    }

    /// Its public key as the load balancer publishes it: a PEM
    /// `PUBLIC KEY` document.
    pub fn public_key_pem(&self) -> String {
        crate::jwks::p256_pem(&self.key.public_key())
    }

    /// The key server its verifiers fetch from (no network): serves this
    /// load balancer's key at [`key_url`](Self::key_url) and 404 for any
    /// other URL. Clones share one server.
    pub fn key_server(&self) -> TestAlbKeys {
        self.server.clone()
    }

    /// A verifier builder trusting this load balancer, its client id and
    /// issuer, fetching from [`key_server`](Self::key_server).
    pub fn verifier_builder(&self) -> crate::AlbJwtVerifierBuilder {
        crate::AlbJwtVerifier::builder()
            .load_balancer_arn(self.arn.clone())
            .client_id(self.client_id())
            .issuer(self.issuer())
            .fetcher(self.key_server())
    }

    /// [`verifier_builder`](Self::verifier_builder), built.
    ///
    /// # Panics
    /// Never for a load balancer made by [`new`](Self::new).
    pub fn verifier(&self) -> crate::AlbJwtVerifier {
        self.verifier_builder()
            .build()
            .expect("a valid ALB configuration")
    }

    /// An `x-amzn-oidc-data` value as this load balancer sends it for a
    /// Cognito user, valid for two minutes.
    pub fn data(&self) -> AlbTokenBuilder<'_> {
        let exp = now() + 120;
        let user = unique_id();
        let header = json!({
            "typ": "JWT",
            "kid": self.kid(),
            "alg": "ES256",
            "iss": self.issuer(),
            "client": self.client_id(),
            "signer": self.arn,
            "exp": exp,
        });
        let payload = json!({
            "sub": user,
            "email_verified": "true",
            "email": format!("{user}@example.com"),
            "username": user,
            "exp": exp,
            "iss": self.issuer(),
        });
        AlbTokenBuilder {
            alb: self,
            parts: Parts::new(header, payload),
        }
    }
}

/// An `x-amzn-oidc-data` value being built; see [`TestAlb::data`]. Its
/// claims are the payload's.
#[derive(Debug)]
#[must_use]
pub struct AlbTokenBuilder<'a> {
    alb: &'a TestAlb,
    parts: Parts,
}

impl AlbTokenBuilder<'_> {
    token_setters!();

    /// Expire `seconds` from now (negative: in the past), in the header
    /// and the payload.
    pub fn expires_in(self, seconds: i64) -> Self {
        self.header_expires_in(seconds).payload_expires_in(seconds)
    }

    /// Set only the header's `exp`, `seconds` from now.
    pub fn header_expires_in(self, seconds: i64) -> Self {
        self.header("exp", now() + seconds)
    }

    /// Set only the payload's `exp`, `seconds` from now.
    pub fn payload_expires_in(self, seconds: i64) -> Self {
        self.claim("exp", now() + seconds)
    }

    /// Signed by the load balancer's key, every segment padded.
    pub fn sign(self) -> String {
        let key = &self.alb.key;
        self.sign_with(key)
    }

    /// Signed by `key` (its `kid` is not put in the header), padded.
    pub fn sign_with(self, key: &TestCurveKey) -> String {
        self.parts.sign(Segments::Padded, |input| key.sign(input))
    }

    /// Signed over unpadded segments, every segment unpadded: what a
    /// generic JWT library would produce, never what a load balancer sends.
    pub fn sign_unpadded(self) -> String {
        let key = &self.alb.key;
        self.parts.sign(Segments::Unpadded, |input| key.sign(input))
    }

    /// Signed with a DER-encoded ECDSA signature (as JWS forbids), padded.
    pub fn sign_der(self) -> String {
        let key = &self.alb.key;
        self.parts.sign(Segments::Padded, |input| {
            key.sign_der(input).unwrap_or_default()
        })
    }
}

/// A load balancers' key endpoint without the network: a
/// [`JwksFetcher`] serving PEM documents by URL, 404 for any other URL,
/// failing on demand, counting its fetches. Clones share one server.
#[derive(Debug, Clone, Default)]
pub struct TestAlbKeys {
    routes: Arc<Routes>,
}

impl TestAlbKeys {
    /// Serve `alb`'s key at its URL too.
    pub fn publish(&self, alb: &TestAlb) {
        self.serve(alb.key_url(), alb.public_key_pem());
    }

    /// Serve `document` at `url`.
    pub fn serve(&self, url: impl Into<String>, document: impl Into<String>) {
        self.routes.serve(url.into(), document.into());
    }

    /// Fail every fetch with `message` (as a connection error would), or
    /// serve again with `None`.
    pub fn fail(&self, message: Option<&str>) {
        self.routes.fail(message.map(str::to_owned));
    }

    /// How many fetches have started.
    pub fn fetches(&self) -> u64 {
        self.routes.total_fetches()
    }

    /// The document at `url`, if served.
    pub fn document(&self, url: &str) -> Option<String> {
        self.routes.document(url)
    }
}

impl JwksFetcher for TestAlbKeys {
    fn fetch<'a>(&'a self, url: &'a str) -> FetchFuture<'a> {
        self.routes.fetch(url)
    }
}

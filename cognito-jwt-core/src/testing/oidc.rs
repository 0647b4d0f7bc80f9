//! A local OpenID Connect issuer: [`TestOidcIssuer`] and its
//! [`OidcTokenBuilder`].

use serde_json::{Value, json};

use super::fetchers::TestIssuers;
use super::keys::TestSigningKey;
use super::token::{Parts, Segments, now, token_setters, unique_id};
use crate::{Algorithm, Issuer, JwtVerifier, JwtVerifierBuilder};

/// The `client_id` of the access tokens a [`TestOidcIssuer`] mints.
const CLIENT_ID: &str = "test-client";

/// A local stand-in for any OpenID Connect issuer, for tests of a
/// [`JwtVerifier`] without network: its issuer URL, keys for one
/// [`Algorithm`] (rotated like [`TestIssuer`](super::TestIssuer)'s), its
/// key set and discovery document, RFC 9068 access tokens and ID tokens.
///
/// ```
/// use cognito_jwt_core::testing::TestOidcIssuer;
/// use cognito_jwt_core::{Algorithm, ErrorKind, StandardClaims};
///
/// let issuer = TestOidcIssuer::new("https://login.example.com/tenant-1", Algorithm::ES256);
/// let verifier = issuer.verifier("orders-api"); // keys already cached
///
/// let token = issuer.access_token("orders-api").scope("orders:read").sign();
/// let claims: StandardClaims = verifier.verify_sync(&token).unwrap();
/// assert!(claims.has_scope("orders:read"));
///
/// let for_another_api = issuer.access_token("billing-api").sign();
/// let refused = verifier.verify_sync::<StandardClaims>(&for_another_api).unwrap_err();
/// assert_eq!(refused.kind(), ErrorKind::InvalidAudience);
/// ```
#[derive(Debug)]
pub struct TestOidcIssuer {
    issuer: String,
    algorithm: Algorithm,
    keys: Vec<TestSigningKey>,
}

impl TestOidcIssuer {
    /// An issuer whose tokens carry `iss` = `issuer` exactly (an `http://`
    /// one is allowed in its [`issuer_config`](Self::issuer_config)), with
    /// one fresh key for `algorithm`.
    pub fn new(issuer: impl Into<String>, algorithm: Algorithm) -> Self {
        let mut test_issuer = Self {
            issuer: issuer.into(),
            algorithm,
            keys: Vec::new(),
        };
        test_issuer.rotate();
        test_issuer
    }

    /// The `iss` of minted tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The algorithm its keys sign with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The current signing key (the newest).
    pub fn key(&self) -> &TestSigningKey {
        &self.keys[self.keys.len() - 1]
    }

    /// Add a new key, which signs from now on; the old keys stay published.
    pub fn rotate(&mut self) -> &TestSigningKey {
        let kid = format!(
            "{}-key-{}",
            self.algorithm.as_str().to_ascii_lowercase(),
            self.keys.len() + 1
        );
        self.keys
            .push(TestSigningKey::generate(kid, self.algorithm));
        self.key()
    }

    /// Stop publishing every key but the current one.
    pub fn retire_old_keys(&mut self) {
        let newest = self.keys.len() - 1;
        self.keys.drain(..newest);
    }

    /// Where its key set is published: `<issuer>/.well-known/jwks.json`.
    pub fn jwks_uri(&self) -> String {
        format!(
            "{}/.well-known/jwks.json",
            self.issuer.trim_end_matches('/')
        )
    }

    /// Where its discovery document is published, as a verifier looks for
    /// it: `<issuer>/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!(
            "{}/.well-known/openid-configuration",
            self.issuer.trim_end_matches('/')
        )
    }

    /// The published key set: `{"keys": [...]}`.
    pub fn jwks_json(&self) -> String {
        json!({"keys": self.keys.iter().map(TestSigningKey::jwk).collect::<Vec<_>>()}).to_string()
    }

    /// The OpenID discovery document: `issuer`, `jwks_uri` and the other
    /// fields OpenID Connect Discovery requires.
    pub fn discovery_json(&self) -> String {
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": format!("{}/authorize", self.issuer.trim_end_matches('/')),
            "jwks_uri": self.jwks_uri(),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.algorithm.as_str()],
        })
        .to_string()
    }

    /// A [`TestIssuers`] serving this issuer's discovery document and key
    /// set as they are now (a snapshot), and nothing else.
    pub fn fetcher(&self) -> TestIssuers {
        let fetcher = TestIssuers::new();
        fetcher.add_oidc_issuer(self);
        fetcher
    }

    /// The `client_id` of its access tokens: `test-client`.
    pub fn client_id(&self) -> &str {
        CLIENT_ID
    }

    /// The settings a resource server for `audience` would trust this
    /// issuer with: RFC 9068 access tokens
    /// ([`access_token_profile`](Issuer::access_token_profile)) for
    /// `audience`, signed with its algorithm, the key set found by
    /// discovery. Tokens of [`access_token`](Self::access_token) pass.
    pub fn issuer_config(&self, audience: &str) -> Issuer {
        self.config(audience).access_token_profile()
    }

    /// The settings a client would trust this issuer's ID tokens with:
    /// `aud` = `client_id`, `typ` absent or `JWT`, signed with its
    /// algorithm, the key set found by discovery. Tokens of
    /// [`id_token`](Self::id_token) pass.
    pub fn id_token_config(&self, client_id: &str) -> Issuer {
        self.config(client_id)
    }

    fn config(&self, audience: &str) -> Issuer {
        Issuer::new(&self.issuer)
            .audience(audience)
            .algorithms([self.algorithm])
            .allow_http(self.issuer.starts_with("http://"))
    }

    /// A builder for a verifier trusting `issuer` (e.g.
    /// [`issuer_config`](Self::issuer_config) with settings added) and
    /// fetching from [`fetcher`](Self::fetcher), so that no test ever
    /// reaches the network. Add settings, then pass it to
    /// [`verifier_from`](Self::verifier_from).
    pub fn verifier_builder(&self, issuer: Issuer) -> JwtVerifierBuilder {
        JwtVerifier::builder()
            .issuer(issuer)
            .fetcher(self.fetcher())
    }

    /// Build `builder` and cache this issuer's key set in the verifier.
    ///
    /// # Panics
    /// If the configuration is invalid or does not trust this issuer (test
    /// code only).
    #[allow(clippy::expect_used)]
    pub fn verifier_from(&self, builder: JwtVerifierBuilder) -> JwtVerifier {
        let verifier = builder.build().expect("test verifier configuration");
        verifier
            .cache_jwks(&self.issuer, &self.jwks_json())
            .expect("test key set");
        verifier
    }

    /// A verifier of this issuer's access tokens for `audience` (see
    /// [`issuer_config`](Self::issuer_config)) with its key set already
    /// cached. Use [`verify_sync`](JwtVerifier::verify_sync) or `verify`.
    /// It never touches the network: a refetch (for an unknown `kid`) is
    /// answered in-process with the documents as they are now.
    ///
    /// ```
    /// use cognito_jwt_core::testing::TestOidcIssuer;
    /// use cognito_jwt_core::{Algorithm, ErrorKind, StandardClaims};
    ///
    /// let issuer = TestOidcIssuer::new("https://login.example.com", Algorithm::EdDSA);
    /// let readers = issuer.issuer_config("orders-api").require_any_scope("orders:read");
    /// let readers_only = issuer.verifier_from(issuer.verifier_builder(readers));
    /// let token = issuer.access_token("orders-api").scope("profile").sign();
    /// let refused = readers_only.verify_sync::<StandardClaims>(&token).unwrap_err();
    /// assert_eq!(refused.kind(), ErrorKind::MissingScope);
    /// ```
    pub fn verifier(&self, audience: &str) -> JwtVerifier {
        self.verifier_from(self.verifier_builder(self.issuer_config(audience)))
    }

    /// An RFC 9068 access token for `audience`, valid for an hour: header
    /// `typ` `at+jwt`; `iss`, `sub`, `aud`, `exp`, `iat`, `auth_time`,
    /// `jti`, `client_id` ([`client_id`](Self::client_id)) and `scope`
    /// (`openid profile`).
    pub fn access_token(&self, audience: &str) -> OidcTokenBuilder<'_> {
        let now = now();
        let claims = json!({
            "iss": self.issuer,
            "sub": unique_id(),
            "aud": audience,
            "exp": now + 3600,
            "iat": now,
            "auth_time": now,
            "jti": unique_id(),
            "client_id": CLIENT_ID,
            "scope": "openid profile",
        });
        OidcTokenBuilder::new(self, "at+jwt", claims)
    }

    /// An ID token for the client `client_id`, valid for an hour: header
    /// `typ` `JWT`; `iss`, `sub`, `aud` and `azp` (`client_id`), `exp`,
    /// `iat`, `auth_time`, `email` and `email_verified`.
    pub fn id_token(&self, client_id: &str) -> OidcTokenBuilder<'_> {
        let now = now();
        let claims = json!({
            "iss": self.issuer,
            "sub": unique_id(),
            "aud": client_id,
            "azp": client_id,
            "exp": now + 3600,
            "iat": now,
            "auth_time": now,
            "email": "test-user@example.com",
            "email_verified": true,
        });
        OidcTokenBuilder::new(self, "JWT", claims)
    }
}

/// Builds one token of a [`TestOidcIssuer`]; every claim and header
/// parameter can be changed.
///
/// ```
/// use cognito_jwt_core::testing::{TestOidcIssuer, TestSigningKey};
/// use cognito_jwt_core::{Algorithm, ErrorKind};
/// use serde_json::Value;
///
/// let issuer = TestOidcIssuer::new("https://login.example.com", Algorithm::RS256);
/// let verifier =
///     issuer.verifier_from(issuer.verifier_builder(issuer.id_token_config("web-app")));
///
/// let token = issuer.id_token("web-app").claim("name", "Jo").sign();
/// let claims: Value = verifier.verify_sync(&token).unwrap();
/// assert_eq!((claims["azp"].as_str(), claims["name"].as_str()), (Some("web-app"), Some("Jo")));
///
/// let kind = |token: String| verifier.verify_sync::<Value>(&token).unwrap_err().kind();
/// let expired = issuer.id_token("web-app").expires_in(-60).sign();
/// assert_eq!(kind(expired), ErrorKind::Expired);
/// let for_two_apps = issuer.id_token("web-app").audiences(["mobile-app", "tv-app"]).sign();
/// assert_eq!(kind(for_two_apps), ErrorKind::InvalidAudience);
/// let forged = TestSigningKey::generate(issuer.key().kid(), Algorithm::RS256);
/// assert_eq!(kind(issuer.id_token("web-app").sign_with(&forged)), ErrorKind::InvalidSignature);
/// ```
#[derive(Debug)]
#[must_use]
pub struct OidcTokenBuilder<'a> {
    issuer: &'a TestOidcIssuer,
    parts: Parts,
}

impl<'a> OidcTokenBuilder<'a> {
    fn new(issuer: &'a TestOidcIssuer, typ: &str, claims: Value) -> Self {
        let key = issuer.key();
        let header = json!({"typ": typ, "alg": key.algorithm().as_str(), "kid": key.kid()});
        Self {
            issuer,
            parts: Parts::new(header, claims),
        }
    }

    token_setters!(jwt);

    /// Replace `aud` with this one audience.
    pub fn audience(self, audience: &str) -> Self {
        self.claim("aud", audience)
    }

    /// Replace `aud` with an array of these audiences.
    pub fn audiences<I, S>(self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let audiences: Vec<String> = audiences.into_iter().map(Into::into).collect();
        self.claim("aud", audiences)
    }

    /// Bind the token to `key` (RFC 9449 §6.1: `cnf.jkt` its thumbprint),
    /// so that it is accepted only with the `DPoP` scheme and a proof
    /// signed by that key.
    pub fn bound_to(self, key: &super::DpopKey) -> Self {
        self.claim("cnf", serde_json::json!({"jkt": key.thumbprint()}))
    }

    /// Sign with the issuer's current key.
    pub fn sign(self) -> String {
        let key = self.issuer.key();
        self.sign_with(key)
    }

    /// Sign with another key, by its algorithm, keeping the header (`alg`
    /// and `kid` included) as it is.
    pub fn sign_with(self, key: &TestSigningKey) -> String {
        self.parts.sign(Segments::Unpadded, |input| key.sign(input))
    }
}

// Beside the issuer it serves, so that the fetchers need no issuer type.
impl TestIssuers {
    /// Serve `issuer`'s discovery document and key set, as they are now,
    /// at its [`discovery_url`](TestOidcIssuer::discovery_url) and
    /// [`jwks_uri`](TestOidcIssuer::jwks_uri).
    pub fn add_oidc_issuer(&self, issuer: &TestOidcIssuer) {
        self.serve(issuer.discovery_url(), issuer.discovery_json());
        self.serve(issuer.jwks_uri(), issuer.jwks_json());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestIssuer, TestKey};
    use crate::{ErrorKind, IssuerResolver, StandardClaims, TokenUse, TrustedIssuer};

    const AUD: &str = "orders-api";

    fn kind<T: std::fmt::Debug>(result: Result<T, crate::Error>) -> ErrorKind {
        result.unwrap_err().kind()
    }

    #[test]
    fn every_algorithm_verifies_access_and_id_tokens() {
        for algorithm in Algorithm::ALL {
            let issuer = TestOidcIssuer::new("https://id.example.com/t1", *algorithm);
            let access = issuer.verifier(AUD);
            assert!(access.is_ready(), "{algorithm}: the key set is cached");
            let token = issuer.access_token(AUD).sign();
            let claims: StandardClaims = access.verify_sync(&token).unwrap();
            assert_eq!(claims.aud, [AUD], "{algorithm}");
            assert_eq!(claims.client_id.as_deref(), Some(issuer.client_id()));

            let id = issuer.verifier_from(issuer.verifier_builder(issuer.id_token_config("web")));
            let token = issuer.id_token("web").sign();
            let claims: StandardClaims = id.verify_sync(&token).unwrap();
            assert_eq!(claims.iss, issuer.issuer(), "{algorithm}");

            // Each verifier takes its own kind of token only.
            let err = kind(access.verify_sync::<Value>(&token));
            assert_eq!(err, ErrorKind::InvalidTokenUse, "{algorithm}");
            let err = kind(id.verify_sync::<Value>(&issuer.access_token("web").sign()));
            assert_eq!(err, ErrorKind::InvalidTokenUse, "{algorithm}");
        }
    }

    #[test]
    fn access_tokens_have_the_claims_rfc_9068_requires() {
        let issuer = TestOidcIssuer::new("https://id.example.com/t1", Algorithm::ES256);
        let verifier = issuer.verifier(AUD);
        for claim in ["sub", "client_id", "iat", "jti"] {
            let token = issuer.access_token(AUD).without(claim).sign();
            assert_eq!(
                kind(verifier.verify_sync::<Value>(&token)),
                ErrorKind::Malformed
            );
        }
        let token = issuer.access_token(AUD).header("typ", "JWT").sign();
        assert_eq!(
            kind(verifier.verify_sync::<Value>(&token)),
            ErrorKind::InvalidTokenUse
        );
        let token = issuer.access_token("other").audiences(["x", AUD]).sign();
        let claims: StandardClaims = verifier.verify_sync(&token).unwrap();
        assert_eq!(claims.aud, ["x", AUD]);
        let token = issuer.access_token(AUD).audience("other").sign();
        assert_eq!(
            kind(verifier.verify_sync::<Value>(&token)),
            ErrorKind::InvalidAudience
        );
    }

    #[tokio::test]
    async fn a_fresh_verifier_discovers_the_key_set_through_the_fetcher() {
        let issuer = TestOidcIssuer::new("https://id.example.com/t1", Algorithm::PS384);
        let fetcher = issuer.fetcher();
        let verifier = JwtVerifier::builder()
            .issuer(issuer.issuer_config(AUD))
            .fetcher(fetcher.clone())
            .build()
            .unwrap();
        assert_eq!(
            verifier.jwks_uris().collect::<Vec<_>>(),
            [issuer.discovery_url()]
        );
        for _ in 0..2 {
            let _: StandardClaims = verifier
                .verify(&issuer.access_token(AUD).sign())
                .await
                .unwrap();
        }
        assert_eq!(fetcher.fetches(&issuer.discovery_url()), 1);
        assert_eq!(fetcher.fetches(&issuer.jwks_uri()), 1);
        assert_eq!(
            verifier.jwks_uris().collect::<Vec<_>>(),
            [issuer.jwks_uri()]
        );
    }

    #[tokio::test]
    async fn a_local_http_issuer_is_allowed() {
        let issuer = TestOidcIssuer::new("http://127.0.0.1:8080/realms/test", Algorithm::RS256);
        let verifier = issuer
            .verifier_builder(issuer.issuer_config(AUD))
            .build()
            .unwrap();
        let _: StandardClaims = verifier
            .verify(&issuer.access_token(AUD).sign())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn rotated_keys_stay_published_until_retired() {
        let mut issuer = TestOidcIssuer::new("https://id.example.com/t1", Algorithm::ES384);
        let old = issuer.access_token(AUD).sign();
        let old_kid = issuer.key().kid().to_owned();
        let new_kid = issuer.rotate().kid().to_owned();
        assert_ne!(old_kid, new_kid);
        let verifier = issuer.verifier(AUD);
        let _: Value = verifier.verify_sync(&old).unwrap();
        let _: Value = verifier
            .verify_sync(&issuer.access_token(AUD).sign())
            .unwrap();

        issuer.retire_old_keys();
        let verifier = issuer.verifier(AUD);
        assert_eq!(
            kind(verifier.verify::<Value>(&old).await),
            ErrorKind::UnknownKid
        );
    }

    #[tokio::test]
    async fn one_fetcher_serves_a_resolver_of_pools_and_oidc_issuers() {
        let pool = TestIssuer::new("eu-west-1_Tenant1");
        let oidc = TestOidcIssuer::new("https://id.example.com/t2", Algorithm::EdDSA);
        let stranger = TestOidcIssuer::new("https://id.example.com/t3", Algorithm::EdDSA);
        let issuers = TestIssuers::new();
        issuers.add_user_pool(&pool);
        issuers.add_oidc_issuer(&oidc);
        issuers.add_oidc_issuer(&stranger);
        let resolver = IssuerResolver::list([
            TrustedIssuer::from(pool.user_pool("web", TokenUse::Access)),
            TrustedIssuer::from(oidc.issuer_config(AUD)),
        ])
        .unwrap();
        let verifier = JwtVerifier::builder()
            .issuer_resolver(resolver)
            .fetcher(issuers.clone())
            .build()
            .unwrap();

        let _: Value = verifier
            .verify(&pool.access_token("web").sign())
            .await
            .unwrap();
        let _: Value = verifier
            .verify(&oidc.access_token(AUD).sign())
            .await
            .unwrap();
        assert_eq!(
            kind(
                verifier
                    .verify::<Value>(&stranger.access_token(AUD).sign())
                    .await
            ),
            ErrorKind::InvalidIssuer
        );
        // A token of one tenant signed with another's key.
        let forged = oidc.access_token(AUD).sign_with(&TestSigningKey::generate(
            oidc.key().kid(),
            Algorithm::EdDSA,
        ));
        assert_eq!(
            kind(verifier.verify::<Value>(&forged).await),
            ErrorKind::InvalidSignature
        );
        let pool_forged = pool
            .access_token("web")
            .sign_with(&TestKey::generate(pool.key().kid()));
        assert_eq!(
            kind(verifier.verify::<Value>(&pool_forged).await),
            ErrorKind::InvalidSignature
        );

        assert_eq!(issuers.fetches(&pool.jwks_uri()), 1);
        assert_eq!(issuers.fetches(&oidc.discovery_url()), 1);
        assert_eq!(issuers.fetches(&oidc.jwks_uri()), 1);
        assert_eq!(issuers.fetches(&stranger.discovery_url()), 0);
        assert_eq!(issuers.total_fetches(), 3);
    }
}

//! A local Cognito user pool: [`TestIssuer`] and its [`TokenBuilder`].

use serde_json::{Value, json};

use super::fetchers::{StaticJwks, TestIssuers};
use super::keys::TestKey;
use super::token::{Parts, Segments, now, token_setters, unique_id};
use crate::{AcceptedTokenUse, UserPool};
use crate::{CognitoJwtVerifier, CognitoJwtVerifierBuilder};

/// A local stand-in for a Cognito user pool.
#[derive(Debug)]
pub struct TestIssuer {
    pool_id: String,
    issuer: String,
    keys: Vec<TestKey>,
}

impl TestIssuer {
    /// An issuer for `pool_id` with the AWS issuer URL
    /// (`https://cognito-idp.<region>.amazonaws.com/<pool_id>`) and one fresh key.
    pub fn new(pool_id: impl Into<String>) -> Self {
        let pool_id = pool_id.into();
        let region = pool_id.split('_').next().unwrap_or("local").to_owned();
        Self {
            issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}"),
            keys: vec![TestKey::generate(format!("{pool_id}-key-1"))],
            pool_id,
        }
    }

    /// Use another `iss` (e.g. an emulator's `http://127.0.0.1:9229/<pool>`).
    #[must_use]
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The pool id.
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The `iss` of minted tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The current signing key (the newest).
    pub fn key(&self) -> &TestKey {
        &self.keys[self.keys.len() - 1]
    }

    /// Add a new key, which signs from now on; the old keys stay published.
    pub fn rotate(&mut self) -> &TestKey {
        let kid = format!("{}-key-{}", self.pool_id, self.keys.len() + 1);
        self.keys.push(TestKey::generate(kid));
        self.key()
    }

    /// Stop publishing every key but the current one.
    pub fn retire_old_keys(&mut self) {
        let newest = self.keys.len() - 1;
        self.keys.drain(..newest);
    }

    /// A [`JwksFetcher`](crate::JwksFetcher) that answers every fetch,
    /// in-process, with this issuer's key set as it is now (a snapshot).
    pub fn fetcher(&self) -> StaticJwks {
        StaticJwks(self.jwks_json())
    }

    /// The URL a verifier fetches the key set from:
    /// `<issuer>/.well-known/jwks.json`, as [`user_pool`](Self::user_pool)
    /// configures it.
    pub fn jwks_uri(&self) -> String {
        format!(
            "{}/.well-known/jwks.json",
            self.issuer.trim_end_matches('/')
        )
    }

    /// The published key set: `{"keys": [...]}`.
    pub fn jwks_json(&self) -> String {
        json!({"keys": self.keys.iter().map(TestKey::jwk).collect::<Vec<_>>()}).to_string()
    }

    /// A `UserPool` matching this issuer (issuer override set when the
    /// issuer is not the AWS one).
    pub fn user_pool(&self, client_id: &str, token_use: impl Into<AcceptedTokenUse>) -> UserPool {
        let pool = UserPool::new(&self.pool_id)
            .client_id(client_id)
            .token_use(token_use);
        let aws = self.issuer.starts_with("https://cognito-idp.");
        if aws { pool } else { pool.issuer(&self.issuer) }
    }

    /// A builder for a verifier of this issuer: its pool, and a fetcher
    /// that answers in-process (see [`fetcher`](Self::fetcher)), so that no
    /// test ever reaches the network. Add settings, then pass it to
    /// [`verifier_from`](Self::verifier_from).
    pub fn verifier_builder(
        &self,
        client_id: &str,
        token_use: impl Into<AcceptedTokenUse>,
    ) -> CognitoJwtVerifierBuilder {
        CognitoJwtVerifier::builder()
            .user_pool(self.user_pool(client_id, token_use))
            .fetcher(self.fetcher())
    }

    /// Build `builder` and cache this issuer's key set in the verifier.
    ///
    /// # Panics
    /// If the configuration is invalid (test code only).
    #[allow(clippy::expect_used)]
    pub fn verifier_from(&self, builder: CognitoJwtVerifierBuilder) -> CognitoJwtVerifier {
        let verifier = builder.build().expect("test verifier configuration");
        verifier
            .cache_jwks(&self.pool_id, &self.jwks_json())
            .expect("test key set");
        verifier
    }

    /// A verifier for this issuer with its key set already cached, so tests
    /// need no HTTP server. Use [`verify_sync`](CognitoJwtVerifier::verify_sync)
    /// or `verify`. It never touches the network: a refetch (for an unknown
    /// `kid`) is answered in-process with the key set as it is now.
    ///
    /// ```
    /// use cognito_jwt_core::TokenUse;
    /// use cognito_jwt_core::testing::TestIssuer;
    ///
    /// let issuer = TestIssuer::new("eu-west-1_TestPool1");
    /// let admins_only = issuer.verifier_from(
    ///     issuer
    ///         .verifier_builder("my-client", TokenUse::Access)
    ///         .require_any_group("admins"),
    /// );
    /// let token = issuer.access_token("my-client").sign();
    /// assert!(admins_only.verify_sync::<serde_json::Value>(&token).is_err());
    /// ```
    pub fn verifier(
        &self,
        client_id: &str,
        token_use: impl Into<AcceptedTokenUse>,
    ) -> CognitoJwtVerifier {
        self.verifier_from(self.verifier_builder(client_id, token_use))
    }

    /// An access token for `client_id`, shaped like Cognito's, valid for an hour.
    pub fn access_token(&self, client_id: &str) -> TokenBuilder<'_> {
        let now = now();
        let sub = unique_id();
        let claims = json!({
            "sub": sub,
            "iss": self.issuer,
            "client_id": client_id,
            "origin_jti": unique_id(),
            "event_id": unique_id(),
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "auth_time": now,
            "exp": now + 3600,
            "iat": now,
            "jti": unique_id(),
            "username": "test-user",
        });
        TokenBuilder::new(self, claims)
    }

    /// A machine-to-machine access token (client credentials): no username,
    /// no groups, `sub` = client id.
    pub fn m2m_access_token(&self, client_id: &str, scope: &str) -> TokenBuilder<'_> {
        let now = now();
        let claims = json!({
            "sub": client_id,
            "iss": self.issuer,
            "client_id": client_id,
            "token_use": "access",
            "scope": scope,
            "auth_time": now,
            "exp": now + 3600,
            "iat": now,
            "jti": unique_id(),
            "version": 2,
        });
        TokenBuilder::new(self, claims)
    }

    /// An ID token for `client_id`, shaped like Cognito's, valid for an hour.
    pub fn id_token(&self, client_id: &str) -> TokenBuilder<'_> {
        let now = now();
        let claims = json!({
            "sub": unique_id(),
            "email_verified": true,
            "iss": self.issuer,
            "cognito:username": "test-user",
            "origin_jti": unique_id(),
            "aud": client_id,
            "event_id": unique_id(),
            "token_use": "id",
            "auth_time": now,
            "exp": now + 3600,
            "iat": now,
            "jti": unique_id(),
            "email": "test-user@example.com",
        });
        TokenBuilder::new(self, claims)
    }
}

/// Builds one token; every claim and header parameter can be changed.
#[derive(Debug)]
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    parts: Parts,
}

impl<'a> TokenBuilder<'a> {
    fn new(issuer: &'a TestIssuer, claims: Value) -> Self {
        let header = json!({"kid": issuer.key().kid(), "alg": "RS256"});
        Self {
            issuer,
            parts: Parts::new(header, claims),
        }
    }

    token_setters!(jwt);

    /// Add a group to `cognito:groups`.
    pub fn group(mut self, group: &str) -> Self {
        let groups = self
            .parts
            .claims
            .entry("cognito:groups")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = groups {
            list.push(group.into());
        }
        self
    }

    /// Sign with the issuer's current key (RS256).
    pub fn sign(self) -> String {
        let key = self.issuer.key();
        self.sign_with(key)
    }

    /// Sign with another key (RS256), keeping the header's `kid`.
    pub fn sign_with(self, key: &TestKey) -> String {
        self.parts
            .sign(Segments::Unpadded, |input| key.sign_rs256(input))
    }
}

// Beside the issuer it serves, so that the fetchers need no issuer type.
impl TestIssuers {
    /// Serve `pool`'s key set, as it is now, at its
    /// [`jwks_uri`](TestIssuer::jwks_uri).
    pub fn add_user_pool(&self, pool: &TestIssuer) {
        self.serve(pool.jwks_uri(), pool.jwks_json());
    }
}

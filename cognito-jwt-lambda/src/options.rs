//! What an authorizer requires and how it answers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cognito_jwt_core::{ClaimRule, ConfigError, Requirements};

use crate::identity::{AuthorizerContext, Identity};

type ContextHook = dyn Fn(&Identity, &mut AuthorizerContext) + Send + Sync;

/// How an [`Authorizer`](crate::Authorizer) decides and answers. Every
/// setting has a default that is safe on its own; [`AuthorizerOptions::new`]
/// gives them all.
///
/// ```
/// use cognito_jwt_lambda::AuthorizerOptions;
///
/// let options = AuthorizerOptions::new()
///     .require_any_group("staff")
///     .wide_resource(true)
///     .context(|identity, context| {
///         if let Some(tenant) = identity.claims["custom:tenant"].as_str() {
///             context.insert("tenant", tenant);
///         }
///     });
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct AuthorizerOptions {
    /// Groups and scopes, checked on the verified identity (a Deny names
    /// the caller).
    pub(crate) requirements: Requirements,
    /// Claim rules and step-up, checked by the verifier.
    pub(crate) rules: Requirements,
    pub(crate) wide_resource: bool,
    pub(crate) simple_responses: bool,
    pub(crate) skip_key_fetch_at_start: bool,
    pub(crate) context: Option<Arc<ContextHook>>,
    pub(crate) denied_fields: Vec<String>,
    pub(crate) ttl_override: Option<Duration>,
}

impl fmt::Debug for AuthorizerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizerOptions")
            .field("requirements", &self.requirements)
            .field("rules", &self.rules)
            .field("wide_resource", &self.wide_resource)
            .field("simple_responses", &self.simple_responses)
            .field("fetch_keys_at_start", &!self.skip_key_fetch_at_start)
            .field("context", &self.context.is_some())
            .field("denied_fields", &self.denied_fields)
            .field("ttl_override", &self.ttl_override)
            .finish()
    }
}

impl AuthorizerOptions {
    /// Every setting at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Require a group (`cognito:groups`); several calls mean any of them.
    /// A verified token outside every required group gets an explicit
    /// Deny (HTTP 403), not a 401: the caller is known, just not allowed.
    /// Defaults to none.
    ///
    /// An empty or blank name is refused by [`validate`](Self::validate),
    /// [`Authorizer::try_new`](crate::Authorizer::try_new) and
    /// [`run`](crate::run); options holding one deny every caller.
    pub fn require_any_group(mut self, group: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_group(group);
        self
    }

    /// Require `rule` of the claims (see [`ClaimRule`]); several calls mean
    /// all of them. A verified token it refuses gets an explicit Deny (HTTP
    /// 403). Defaults to none. (`REQUIRED_CLAIMS`, read by
    /// `CognitoJwtVerifier::from_env`, does the same for every token.)
    pub fn require_claim(mut self, rule: ClaimRule) -> Self {
        self.rules = self.rules.claim(rule);
        self
    }

    /// Require the rules of `rules`, in the grammar of `REQUIRED_CLAIMS`
    /// (`custom:tenant=acme; email_verified:=true`; see [`ClaimRule`]).
    ///
    /// ```
    /// use cognito_jwt_lambda::AuthorizerOptions;
    ///
    /// let options = AuthorizerOptions::new().claim_rules("custom:tenant=acme|globex")?;
    /// let error = AuthorizerOptions::new().claim_rules("custom:tenant").unwrap_err();
    /// assert_eq!(error.name(), Some("claim_rules"));
    /// # Ok::<(), cognito_jwt_core::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming `claim_rules` and quoting the malformed rule.
    pub fn claim_rules(mut self, rules: &str) -> Result<Self, ConfigError> {
        self.rules = self.rules.claim_rules(rules)?;
        Ok(self)
    }

    /// Step-up (RFC 9470): require the token's `acr` to be `acr`; several
    /// calls mean any of them. A token refused is Unauthorized (HTTP 401:
    /// API Gateway sends no challenge of the authorizer's).
    pub fn require_any_acr(mut self, acr: impl Into<String>) -> Self {
        self.rules = self.rules.any_acr(acr);
        self
    }

    /// Step-up (RFC 9470): require the token's `amr` to include `method`
    /// (such as `mfa`); several calls mean all of them. Refused as for
    /// [`require_any_acr`](Self::require_any_acr).
    pub fn require_all_amr(mut self, method: impl Into<String>) -> Self {
        self.rules = self.rules.all_amr(method);
        self
    }

    /// Step-up (RFC 9470): require the user to have signed in
    /// (`auth_time`) at most `age` ago. Refused as for
    /// [`require_any_acr`](Self::require_any_acr).
    pub fn require_max_auth_age(mut self, age: Duration) -> Self {
        self.rules = self.rules.max_auth_age(age);
        self
    }

    /// Require a scope; several calls mean any of them. As with groups, a
    /// verified token without one gets an explicit Deny. Defaults to none.
    /// An empty or blank name is refused as for
    /// [`require_any_group`](Self::require_any_group).
    pub fn require_any_scope(mut self, scope: impl Into<String>) -> Self {
        self.requirements = self.requirements.any_scope(scope);
        self
    }

    /// Name `arn:…:<api-id>/<stage>/*/*` in the policy instead of the one
    /// method or route that was called. Defaults to `false`.
    ///
    /// API Gateway caches an authorizer's answer per token (per identity
    /// source) for the authorizer's TTL and checks the cached policy against
    /// each later request; a policy for one route makes the same token's
    /// next request to another route fail with 403 until the entry expires.
    /// Turn this on whenever caching is on and the authorizer's decision
    /// does not depend on the route (this crate's never does).
    pub fn wide_resource(mut self, wide: bool) -> Self {
        self.wide_resource = wide;
        self
    }

    /// Answer HTTP API payload 2.0 events with the simple format
    /// (`isAuthorized` and `context`) instead of an IAM policy. Must match
    /// the authorizer's `EnableSimpleResponses` setting. Defaults to
    /// `false`.
    pub fn simple_responses(mut self, simple: bool) -> Self {
        self.simple_responses = simple;
        self
    }

    /// Whether [`run`](crate::run) fetches the key set during the init
    /// phase, before the first invocation, when no key set is usable yet.
    /// Defaults to `true`. A key set bundled with the function
    /// (`COGNITO_JWKS_FILE`, read by `CognitoJwtVerifier::from_env`)
    /// already serves, so the cold start makes no request either way; turn
    /// this off only to leave even a missing key set to the first
    /// invocation.
    pub fn fetch_keys_at_start(mut self, fetch: bool) -> Self {
        self.skip_key_fetch_at_start = !fetch;
        self
    }

    /// Add to (or change) the context of every Allow answer. `extend` sees
    /// the verified identity and the standard context
    /// ([`AuthorizerContext::of`]). Defaults to the standard context alone.
    ///
    /// Values can only be strings, numbers and booleans: API Gateway
    /// accepts nothing else there.
    pub fn context<F>(mut self, extend: F) -> Self
    where
        F: Fn(&Identity, &mut AuthorizerContext) + Send + Sync + 'static,
    {
        self.context = Some(Arc::new(extend));
        self
    }

    /// AppSync only: fields the caller may not resolve even when allowed,
    /// as `TypeName.fieldName` or full field ARNs (`deniedFields`). Defaults
    /// to none.
    pub fn appsync_denied_fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.denied_fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// AppSync only: how long AppSync may cache an Allow answer
    /// (`ttlOverride`, whole seconds; zero turns caching off for it).
    /// Defaults to the API's configured TTL.
    pub fn appsync_ttl_override(mut self, ttl: Duration) -> Self {
        self.ttl_override = Some(ttl);
        self
    }

    /// Check the options: every required group and scope is a name (not
    /// empty, not only whitespace). [`run`](crate::run) and
    /// [`Authorizer::try_new`](crate::Authorizer::try_new) call it.
    ///
    /// ```
    /// use cognito_jwt_lambda::AuthorizerOptions;
    ///
    /// let error = AuthorizerOptions::new().require_any_scope("").validate().unwrap_err();
    /// assert_eq!(error.name(), Some("require_any_scope"));
    /// ```
    ///
    /// # Errors
    /// A [`ConfigError`] naming the setting: `require_any_group`,
    /// `require_any_scope`, `require_claim`, `require_any_acr`,
    /// `require_all_amr` or `require_max_auth_age`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.requirements
            .validate()
            .and_then(|()| self.rules.validate())
            .map_err(|error| match error {
                ConfigError::Invalid { name, problem } => ConfigError::Invalid {
                    name: format!("require_{name}"),
                    problem,
                },
                other => other,
            })
    }

    pub(crate) fn fetch_keys_at_start_enabled(&self) -> bool {
        !self.skip_key_fetch_at_start
    }
}

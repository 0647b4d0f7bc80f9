//! The decision (verify, check requirements) and its answer in each event's
//! response format.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayV2CustomAuthorizerIamPolicyResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
    ApiGatewayV2CustomAuthorizerV1Request, ApiGatewayV2CustomAuthorizerV2Request,
};
use aws_lambda_events::appsync::{AppSyncLambdaAuthorizerRequest, AppSyncLambdaAuthorizerResponse};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use cognito_jwt_core::http::{AuthRejection, bearer_token};
use cognito_jwt_core::{AnyVerifier, ConfigError, HttpClass, Verify};
use http::HeaderMap;
use http::header::AUTHORIZATION;
use lambda_runtime::Diagnostic;

use crate::arn::ExecuteApiArn;
use crate::event::{AuthorizerEvent, AuthorizerResponse};
use crate::identity::{AuthorizerContext, Identity, Verified};
use crate::options::AuthorizerOptions;

/// The `principalId` of a Deny whose caller is not known: a requirement set
/// on the verifier's builder refused the token before it was read.
pub const UNKNOWN_PRINCIPAL: &str = "unknown";

/// Verifies the token of an authorizer event and answers in that event's
/// response format. Cheap to clone; build one per execution environment
/// (outside the handler) and share it.
///
/// Each method is a function from one event type to its response, to call
/// from your own handler; [`run`](crate::run) is a ready main loop over
/// [`handle`](Self::handle).
///
/// | outcome | REST, HTTP API 1.0 and 2.0 with IAM policies | HTTP API 2.0 simple | AppSync |
/// |---|---|---|---|
/// | verified | Allow, `principalId` = `sub`, context | `isAuthorized: true`, context | `isAuthorized: true`, `resolverContext` |
/// | no token, or a refused one | `Err(Unauthorized)` | `isAuthorized: false` | `isAuthorized: false` |
/// | verified, missing a required group or scope | explicit Deny | `isAuthorized: false` | `isAuthorized: false` |
/// | key set unavailable | `Err(KeySetUnavailable)` | `Err(KeySetUnavailable)` | `Err(KeySetUnavailable)` |
#[derive(Clone)]
pub struct Authorizer {
    inner: Arc<Inner>,
}

struct Inner {
    verifier: AnyVerifier,
    options: AuthorizerOptions,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer")
            .field("verifier", &self.inner.verifier)
            .field("options", &self.inner.options)
            .finish()
    }
}

/// What the authorizer decided about a token it could read and verify.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decision {
    /// The token is valid and meets every requirement.
    Allow {
        /// The caller.
        identity: Identity,
        /// The context to hand on: the standard one, extended by
        /// [`AuthorizerOptions::context`].
        context: AuthorizerContext,
    },
    /// The token is valid but lacks a required group or scope.
    Deny {
        /// The caller; `None` when a requirement of the verifier itself
        /// refused the token.
        identity: Option<Identity>,
    },
}

/// Why an authorizer gives no Allow or Deny answer. Turned into the Lambda
/// function error API Gateway acts on.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthorizerError {
    /// No token, or a token that was refused (forged, expired, another app
    /// client's, the wrong kind, malformed). Its message is exactly
    /// `Unauthorized`, which API Gateway answers with 401.
    Unauthorized(AuthRejection),
    /// The user pool's key set cannot be had right now, so no token can be
    /// checked. API Gateway answers 500: the client is not told its token
    /// is bad when it may not be.
    KeySetUnavailable(cognito_jwt_core::Error),
    /// The event lacks what its type must carry (a method or route ARN) or
    /// is not an authorizer event at all. API Gateway answers 500.
    InvalidEvent(String),
}

impl AuthorizerError {
    /// Whether this is the `Unauthorized` answer (a missing or bad token).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, AuthorizerError::Unauthorized(_))
    }

    /// The Lambda `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            AuthorizerError::Unauthorized(_) => "Unauthorized",
            AuthorizerError::KeySetUnavailable(_) => "KeySetUnavailable",
            AuthorizerError::InvalidEvent(_) => "InvalidEvent",
        }
    }
}

impl fmt::Display for AuthorizerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // API Gateway matches this exact text; nothing may be added.
            AuthorizerError::Unauthorized(_) => f.write_str("Unauthorized"),
            AuthorizerError::KeySetUnavailable(error) => {
                write!(f, "cannot verify tokens: {}", error.message())
            }
            AuthorizerError::InvalidEvent(problem) => {
                write!(f, "not a usable authorizer event: {problem}")
            }
        }
    }
}

impl std::error::Error for AuthorizerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthorizerError::Unauthorized(rejection) => Some(rejection),
            AuthorizerError::KeySetUnavailable(error) => Some(error),
            AuthorizerError::InvalidEvent(_) => None,
        }
    }
}

impl From<AuthorizerError> for Diagnostic {
    fn from(error: AuthorizerError) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

const POLICY_VERSION: &str = "2012-10-17";
const INVOKE: &str = "execute-api:Invoke";

impl Authorizer {
    /// An authorizer verifying with `verifier` (a `CognitoJwtVerifier`, or
    /// a `JwtVerifier` for any OpenID Connect issuer), deciding and
    /// answering as `options` say. Options that
    /// [`AuthorizerOptions::validate`] refuses (an empty required group or
    /// scope) deny every caller; prefer [`try_new`](Self::try_new), which
    /// refuses them up front.
    pub fn new(verifier: impl Verify, options: AuthorizerOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                verifier: verifier.into(),
                options,
            }),
        }
    }

    /// [`new`](Self::new), once [`AuthorizerOptions::validate`] passed.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the option that is wrong.
    pub fn try_new(verifier: impl Verify, options: AuthorizerOptions) -> Result<Self, ConfigError> {
        options.validate()?;
        Ok(Self::new(verifier, options))
    }

    /// The verifier.
    pub fn verifier(&self) -> &AnyVerifier {
        &self.inner.verifier
    }

    /// The options.
    pub fn options(&self) -> &AuthorizerOptions {
        &self.inner.options
    }

    /// Decide on the values of a request's `Authorization` header (pass
    /// them all; REST `TOKEN` and AppSync events carry one): `Bearer
    /// <token>`, or the bare token as API Gateway's own Cognito authorizer
    /// expects it.
    ///
    /// Every refusal is logged once, without the token: at debug level for
    /// bad tokens and missing groups, at warn level with the reason when
    /// the key set is unavailable.
    ///
    /// # Errors
    /// [`AuthorizerError::Unauthorized`] for no token or a refused one,
    /// [`AuthorizerError::KeySetUnavailable`] when it cannot be checked.
    pub async fn authorize<'a>(
        &self,
        authorization: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Decision, AuthorizerError> {
        let values: Vec<&[u8]> = authorization.into_iter().collect();
        let rejection = match self.verify(&values).await {
            Ok(identity) => return Ok(self.check(identity)),
            Err(rejection) => rejection,
        };
        rejection.log();
        match (rejection.http_class(), rejection) {
            (HttpClass::InsufficientScope, _) => Ok(Decision::Deny { identity: None }),
            (HttpClass::Unavailable, AuthRejection::Token(error)) => {
                Err(AuthorizerError::KeySetUnavailable(error))
            }
            (_, rejection) => Err(AuthorizerError::Unauthorized(rejection)),
        }
    }

    async fn verify(&self, authorization: &[&[u8]]) -> Result<Identity, AuthRejection> {
        let token = find_token(authorization)?;
        let Verified(identity) = self
            .inner
            .verifier
            .verify_with(token, &self.inner.options.rules)
            .await?;
        Ok(identity)
    }

    /// Apply the options' requirements to a verified caller.
    fn check(&self, identity: Identity) -> Decision {
        let options = &self.inner.options;
        let scopes = identity
            .scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|scope| !scope.is_empty());
        let groups = identity.groups.iter().map(String::as_str);
        if let Err(error) = options.requirements.check(groups, scopes) {
            AuthRejection::from(error).log();
            return Decision::Deny {
                identity: Some(identity),
            };
        }
        let mut context = AuthorizerContext::of(&identity);
        if let Some(extend) = &options.context {
            extend(&identity, &mut context);
        }
        Decision::Allow { identity, context }
    }

    /// A REST API `TOKEN` authorizer: the token is the event's
    /// `authorizationToken`, the policy names its `methodArn`.
    ///
    /// # Errors
    /// As [`authorize`](Self::authorize); [`AuthorizerError::InvalidEvent`]
    /// when the method ARN is missing or malformed.
    pub async fn rest_token(
        &self,
        event: ApiGatewayCustomAuthorizerRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        let token = event.authorization_token.as_deref().map(str::as_bytes);
        let decision = self.authorize(token).await?;
        self.rest_policy(decision, event.method_arn.as_deref())
    }

    /// A REST API `REQUEST` authorizer: the token is in the `Authorization`
    /// header, the policy names the `methodArn`.
    ///
    /// # Errors
    /// As [`rest_token`](Self::rest_token).
    pub async fn rest_request(
        &self,
        event: ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        // Both maps carry every header; the multi-value one shows a
        // repeated Authorization header, which is refused.
        let headers = if event.multi_value_headers.contains_key(AUTHORIZATION) {
            &event.multi_value_headers
        } else {
            &event.headers
        };
        let decision = self.authorize(authorization(headers)).await?;
        self.rest_policy(decision, event.method_arn.as_deref())
    }

    /// An HTTP API authorizer with payload format 1.0: the token is in the
    /// `Authorization` header, the IAM policy names the `methodArn`.
    ///
    /// # Errors
    /// As [`rest_token`](Self::rest_token).
    pub async fn http_v1(
        &self,
        event: ApiGatewayV2CustomAuthorizerV1Request,
    ) -> Result<ApiGatewayV2CustomAuthorizerIamPolicyResponse, AuthorizerError> {
        let decision = self.authorize(authorization(&event.headers)).await?;
        self.v2_policy(decision, event.method_arn.as_deref())
    }

    /// An HTTP API authorizer with payload format 2.0 answering with an IAM
    /// policy for the `routeArn`.
    ///
    /// # Errors
    /// As [`rest_token`](Self::rest_token), with the route ARN.
    pub async fn http_v2(
        &self,
        event: ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<ApiGatewayV2CustomAuthorizerIamPolicyResponse, AuthorizerError> {
        let decision = self.authorize(authorization(&event.headers)).await?;
        self.v2_policy(decision, event.route_arn.as_deref())
    }

    /// An HTTP API authorizer with payload format 2.0 and simple responses:
    /// `isAuthorized` with the context, `isAuthorized: false` for a missing
    /// or bad token as for a missing group (API Gateway answers 403).
    ///
    /// # Errors
    /// Only [`AuthorizerError::KeySetUnavailable`].
    pub async fn http_v2_simple(
        &self,
        event: ApiGatewayV2CustomAuthorizerV2Request,
    ) -> Result<ApiGatewayV2CustomAuthorizerSimpleResponse, AuthorizerError> {
        let decision = self.authorize(authorization(&event.headers)).await;
        let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::default();
        response.context = serde_json::Value::Object(serde_json::Map::new());
        match refusal_is_an_answer(decision)? {
            Some(Decision::Allow { context, .. }) => {
                response.is_authorized = true;
                response.context = context.to_json();
            }
            _ => response.is_authorized = false,
        }
        Ok(response)
    }

    /// An AppSync Lambda authorizer: the token is the event's
    /// `authorizationToken`; an Allow carries the context as
    /// `resolverContext` and the options' `deniedFields` and `ttlOverride`.
    ///
    /// # Errors
    /// Only [`AuthorizerError::KeySetUnavailable`].
    pub async fn appsync(
        &self,
        event: AppSyncLambdaAuthorizerRequest,
    ) -> Result<AppSyncLambdaAuthorizerResponse, AuthorizerError> {
        let token = event.authorization_token.as_deref().map(str::as_bytes);
        let decision = self.authorize(token).await;
        let mut response = AppSyncLambdaAuthorizerResponse::default();
        if let Some(Decision::Allow { context, .. }) = refusal_is_an_answer(decision)? {
            let options = &self.inner.options;
            response.is_authorized = true;
            response.resolver_context = context
                .iter()
                .map(|(key, value)| (key.to_owned(), value.to_json()))
                .collect::<HashMap<_, _>>();
            response.denied_fields =
                (!options.denied_fields.is_empty()).then(|| options.denied_fields.clone());
            response.ttl_override = options
                .ttl_override
                .map(|ttl| i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        }
        Ok(response)
    }

    /// Any authorizer event, answered in its format (HTTP API 2.0 events
    /// with simple responses when [`AuthorizerOptions::simple_responses`]
    /// is on).
    ///
    /// # Errors
    /// As the method for the event's type.
    pub async fn handle(
        &self,
        event: AuthorizerEvent,
    ) -> Result<AuthorizerResponse, AuthorizerError> {
        Ok(match event {
            AuthorizerEvent::RestToken(event) => {
                AuthorizerResponse::Policy(self.rest_token(event).await?)
            }
            AuthorizerEvent::RestRequest(event) => {
                AuthorizerResponse::Policy(self.rest_request(*event).await?)
            }
            AuthorizerEvent::HttpV1(event) => {
                AuthorizerResponse::HttpPolicy(self.http_v1(*event).await?)
            }
            AuthorizerEvent::HttpV2(event) if self.inner.options.simple_responses => {
                AuthorizerResponse::Simple(self.http_v2_simple(*event).await?)
            }
            AuthorizerEvent::HttpV2(event) => {
                AuthorizerResponse::HttpPolicy(self.http_v2(*event).await?)
            }
            AuthorizerEvent::AppSync(event) => {
                AuthorizerResponse::AppSync(self.appsync(*event).await?)
            }
        })
    }

    fn rest_policy(
        &self,
        decision: Decision,
        arn: Option<&str>,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthorizerError> {
        let (principal, policy, context) = self.policy(decision, arn)?;
        let mut response = ApiGatewayCustomAuthorizerResponse::default();
        response.principal_id = Some(principal);
        response.policy_document = policy;
        response.context = context;
        Ok(response)
    }

    fn v2_policy(
        &self,
        decision: Decision,
        arn: Option<&str>,
    ) -> Result<ApiGatewayV2CustomAuthorizerIamPolicyResponse, AuthorizerError> {
        let (principal, policy, context) = self.policy(decision, arn)?;
        let mut response = ApiGatewayV2CustomAuthorizerIamPolicyResponse::default();
        response.principal_id = Some(principal);
        response.policy_document = policy;
        response.context = context;
        Ok(response)
    }

    /// The principal, the one-statement policy and the context of a
    /// decision, for the ARN the event named.
    fn policy(
        &self,
        decision: Decision,
        arn: Option<&str>,
    ) -> Result<(String, ApiGatewayCustomAuthorizerPolicy, serde_json::Value), AuthorizerError>
    {
        let arn: ExecuteApiArn = arn
            .ok_or_else(|| {
                AuthorizerError::InvalidEvent("it has no method or route ARN".to_owned())
            })?
            .parse()
            .map_err(|error| AuthorizerError::InvalidEvent(format!("{error}")))?;
        let resource = if self.inner.options.wide_resource {
            arn.any_route()
        } else {
            arn
        };
        let (effect, principal, context) = match decision {
            Decision::Allow { identity, context } => {
                (IamPolicyEffect::Allow, identity.sub, context)
            }
            Decision::Deny { identity } => (
                IamPolicyEffect::Deny,
                identity.map_or_else(|| UNKNOWN_PRINCIPAL.to_owned(), |i| i.sub),
                AuthorizerContext::new(),
            ),
        };
        let mut statement = IamPolicyStatement::default();
        statement.action = vec![INVOKE.to_owned()];
        statement.effect = effect;
        statement.resource = vec![resource.to_string()];
        let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
        policy.version = Some(POLICY_VERSION.to_owned());
        policy.statement = vec![statement];
        Ok((principal, policy, context.to_json()))
    }
}

/// For the formats where a refusal is an answer rather than an error: a
/// missing or bad token is `None`, like a Deny; only an unavailable key set
/// (or a bad event) stays an error.
fn refusal_is_an_answer(
    decision: Result<Decision, AuthorizerError>,
) -> Result<Option<Decision>, AuthorizerError> {
    match decision {
        Ok(decision) => Ok(Some(decision)),
        Err(AuthorizerError::Unauthorized(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Every `Authorization` value of a header map.
fn authorization(headers: &HeaderMap) -> impl Iterator<Item = &[u8]> {
    headers
        .get_all(AUTHORIZATION)
        .iter()
        .map(|value| value.as_bytes())
}

/// The token: `Bearer <token>` as the core reads it, or one bare token (how
/// clients of API Gateway's built-in Cognito authorizer send it).
fn find_token<'a>(values: &[&'a [u8]]) -> Result<&'a str, AuthRejection> {
    match (bearer_token(values.iter().copied()), values) {
        (Err(AuthRejection::Missing), [value]) => bare_token(value).ok_or(AuthRejection::Missing),
        (found, _) => found,
    }
}

fn bare_token(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
    (!value.is_empty() && !value.contains([' ', '\t'])).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_with_or_without_the_scheme() {
        assert_eq!(find_token(&[b"Bearer a.b.c"]), Ok("a.b.c"));
        assert_eq!(find_token(&[b"  a.b.c "]), Ok("a.b.c"));
        assert_eq!(find_token(&[]), Err(AuthRejection::Missing));
        assert_eq!(find_token(&[b""]), Err(AuthRejection::Missing));
        assert_eq!(
            find_token(&[b"Basic dXNlcjpwYXNz"]),
            Err(AuthRejection::Missing)
        );
        assert!(matches!(
            find_token(&[b"a.b.c", b"a.b.c"]),
            Err(AuthRejection::InvalidRequest(_))
        ));
        assert!(matches!(
            find_token(&[b"Bearer "]),
            Err(AuthRejection::InvalidRequest(_))
        ));
    }

    #[test]
    fn the_unauthorized_error_is_exactly_what_api_gateway_matches() {
        let diagnostic = Diagnostic::from(AuthorizerError::Unauthorized(AuthRejection::Missing));
        assert_eq!(diagnostic.error_message, "Unauthorized");
        assert_eq!(diagnostic.error_type, "Unauthorized");
    }
}

//! The ARNs API Gateway names a request by: a REST method ARN or an HTTP
//! API route ARN, both `arn:<partition>:execute-api:<region>:<account>:
//! <api-id>/<stage>/<method>[/<path>]`.

use std::fmt;
use std::str::FromStr;

/// A parsed `execute-api` ARN: the `methodArn` of REST and HTTP API 1.0
/// events, the `routeArn` of HTTP API 2.0 events.
///
/// Parsing checks every part, so a policy is never built from a string that
/// was cut at the wrong place; [`Display`](fmt::Display) gives the ARN back
/// unchanged.
///
/// ```
/// use cognito_jwt_lambda::ExecuteApiArn;
///
/// let arn: ExecuteApiArn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42"
///     .parse()?;
/// assert_eq!(arn.api_id(), "a1b2c3d4e5");
/// assert_eq!(arn.stage(), "prod");
/// assert_eq!(arn.method(), "GET");
/// assert_eq!(arn.path(), Some("orders/42"));
/// assert_eq!(
///     arn.any_route().to_string(),
///     "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*/*"
/// );
/// # Ok::<(), cognito_jwt_lambda::ArnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExecuteApiArn {
    partition: String,
    region: String,
    account: String,
    api_id: String,
    stage: String,
    method: String,
    path: Option<String>,
}

/// Why a string is not an `execute-api` ARN. The message names the part
/// that is wrong, never the ARN itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnError {
    problem: &'static str,
}

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not an execute-api ARN ({}); expected \
             arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<method>[/<path>]",
            self.problem
        )
    }
}

impl std::error::Error for ArnError {}

const fn fail(problem: &'static str) -> ArnError {
    ArnError { problem }
}

fn is_lower_word(part: &str) -> bool {
    !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl FromStr for ExecuteApiArn {
    type Err = ArnError;

    fn from_str(arn: &str) -> Result<Self, Self::Err> {
        if arn.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(fail("it has spaces, control or non-ASCII characters"));
        }
        // The resource is last and may itself contain colons (in its path).
        let mut parts = arn.splitn(6, ':');
        let (
            Some(scheme),
            Some(partition),
            Some(service),
            Some(region),
            Some(account),
            Some(resource),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return Err(fail("it has fewer than six colon-separated parts"));
        };
        if scheme != "arn" {
            return Err(fail("it does not start with arn:"));
        }
        if !is_lower_word(partition) || !partition.starts_with("aws") {
            return Err(fail(
                "the partition is not aws, aws-cn, aws-us-gov or similar",
            ));
        }
        if service != "execute-api" {
            return Err(fail("the service is not execute-api"));
        }
        if !is_lower_word(region) {
            return Err(fail("the region is not like eu-west-1"));
        }
        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("the account is not a number"));
        }
        let mut segments = resource.splitn(4, '/');
        let (Some(api_id), Some(stage), Some(method)) =
            (segments.next(), segments.next(), segments.next())
        else {
            return Err(fail("the resource is not <api-id>/<stage>/<method>"));
        };
        if api_id.is_empty() || !api_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(fail("the API id is not alphanumeric"));
        }
        if stage.is_empty() || stage.contains('*') {
            return Err(fail("the stage is empty or a wildcard"));
        }
        if method.is_empty() {
            return Err(fail("the method is empty"));
        }
        Ok(Self {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            api_id: api_id.to_owned(),
            stage: stage.to_owned(),
            method: method.to_owned(),
            path: segments.next().map(str::to_owned),
        })
    }
}

impl ExecuteApiArn {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The API's region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The API owner's account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The API id.
    pub fn api_id(&self) -> &str {
        &self.api_id
    }

    /// The stage (`$default` for an HTTP API's default stage).
    pub fn stage(&self) -> &str {
        &self.stage
    }

    /// The HTTP method (`ANY`, or `$default` for an HTTP API's default
    /// route; `$connect` and the like for WebSocket APIs).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The resource path without its leading slash (`""` for `/`); `None`
    /// when the ARN ends at the method.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The same API and stage, any method and any path:
    /// `arn:…:<api-id>/<stage>/*/*`. A policy naming it stays valid for every
    /// route, which lets API Gateway's authorizer cache answer a token's
    /// next request on another route without calling the function again.
    #[must_use]
    pub fn any_route(&self) -> Self {
        Self {
            method: "*".to_owned(),
            path: Some("*".to_owned()),
            ..self.clone()
        }
    }
}

impl fmt::Display for ExecuteApiArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:execute-api:{}:{}:{}/{}/{}",
            self.partition, self.region, self.account, self.api_id, self.stage, self.method
        )?;
        match &self.path {
            Some(path) => write!(f, "/{path}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(arn: &str) -> Result<ExecuteApiArn, ArnError> {
        arn.parse()
    }

    #[test]
    fn documented_forms_round_trip() {
        for arn in [
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request",
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/",
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/POST/my/path",
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/$default",
            "arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef123/prod/ANY/a:b/c",
            "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/$connect",
        ] {
            assert_eq!(parse(arn).map(|a| a.to_string()).as_deref(), Ok(arn));
        }
    }

    #[test]
    fn parts_and_the_wide_resource() {
        let arn = parse(
            "arn:aws-us-gov:execute-api:us-gov-west-1:111122223333:q1w2e3/v1/DELETE/items/{id}",
        )
        .expect("valid");
        assert_eq!(
            (arn.partition(), arn.region(), arn.account()),
            ("aws-us-gov", "us-gov-west-1", "111122223333")
        );
        assert_eq!(
            (arn.api_id(), arn.stage(), arn.method()),
            ("q1w2e3", "v1", "DELETE")
        );
        assert_eq!(arn.path(), Some("items/{id}"));
        assert_eq!(
            arn.any_route().to_string(),
            "arn:aws-us-gov:execute-api:us-gov-west-1:111122223333:q1w2e3/v1/*/*"
        );
        let root = parse("arn:aws:execute-api:us-east-1:1:abc/dev/GET/").expect("valid");
        assert_eq!(root.path(), Some(""));
        let default_route =
            parse("arn:aws:execute-api:us-east-1:1:abc/$default/$default").expect("valid");
        assert_eq!(default_route.path(), None);
        assert_eq!(
            default_route.any_route().to_string(),
            "arn:aws:execute-api:us-east-1:1:abc/$default/*/*"
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for (arn, problem) in [
            ("", "fewer than six"),
            (
                "arn:aws:execute-api:us-east-1:123456789012",
                "fewer than six",
            ),
            ("urn:aws:execute-api:us-east-1:1:abc/dev/GET/", "arn:"),
            ("arn:gcp:execute-api:us-east-1:1:abc/dev/GET/", "partition"),
            ("arn:aws:lambda:us-east-1:1:abc/dev/GET/", "service"),
            ("arn:aws:execute-api:US_EAST:1:abc/dev/GET/", "region"),
            ("arn:aws:execute-api:us-east-1:12a:abc/dev/GET/", "account"),
            ("arn:aws:execute-api:us-east-1:1:abc/dev", "resource"),
            ("arn:aws:execute-api:us-east-1:1:*/dev/GET/", "API id"),
            ("arn:aws:execute-api:us-east-1:1:abc/*/GET/", "stage"),
            ("arn:aws:execute-api:us-east-1:1:abc//GET/", "stage"),
            ("arn:aws:execute-api:us-east-1:1:abc/dev//x", "method"),
            ("arn:aws:execute-api:us-east-1:1:abc/dev/GET/a b", "spaces"),
            (
                "arn:aws:execute-api:us-east-1:1:abc/dev/GET/\u{e9}",
                "non-ASCII",
            ),
        ] {
            let error = parse(arn).expect_err(arn);
            assert!(error.to_string().contains(problem), "{arn}: {error}");
        }
    }
}

//! Load-balancer ARNs, and where each load balancer publishes its keys.

use crate::error::ConfigError;

/// One trusted load balancer: its ARN, and the base URL its keys are
/// fetched from (`<base>/<kid>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoadBalancer {
    pub(crate) arn: String,
    pub(crate) keys_base: String,
}

/// The parts of an Application Load Balancer ARN:
/// `arn:<partition>:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>`.
struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
}

fn parse(arn: &str) -> Option<Arn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("elasticloadbalancing"),
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
        return None;
    };
    let region_ok = region.len() <= 32
        && region.split('-').count() >= 3
        && region.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && region.ends_with(|c: char| c.is_ascii_digit());
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let resource_ok = resource
        .strip_prefix("loadbalancer/app/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(name, id)| {
            !name.is_empty()
                && !id.is_empty()
                && (name.bytes().chain(id.bytes())).all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (region_ok && account_ok && resource_ok).then_some(Arn { partition, region })
}

/// Check `arn` and find its key endpoint: `keys_url` when given, else the
/// endpoint of the ARN's partition and region.
pub(crate) fn load_balancer(
    arn: &str,
    field: &str,
    keys_url: Option<&str>,
) -> Result<LoadBalancer, ConfigError> {
    let parsed = parse(arn).ok_or_else(|| {
        ConfigError::invalid(
            field,
            "not an Application Load Balancer ARN; expected \
             arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id> \
             (the load balancer's ARN, not its listener's or target group's)",
        )
    })?;
    let keys_base = match (keys_url, parsed.partition) {
        (Some(base), _) => base.to_owned(),
        (None, "aws") => format!(
            "https://public-keys.auth.elb.{}.amazonaws.com",
            parsed.region
        ),
        (None, "aws-us-gov") => match parsed.region {
            "us-gov-west-1" | "us-gov-east-1" => format!(
                "https://s3-{0}.amazonaws.com/aws-elb-public-keys-prod-{0}",
                parsed.region
            ),
            _ => {
                return Err(ConfigError::invalid(
                    field,
                    "the aws-us-gov partition has ALB key endpoints for us-gov-west-1 and \
                     us-gov-east-1 only; set keys_url (ALB_KEYS_URL) for another region",
                ));
            }
        },
        (None, _) => {
            return Err(ConfigError::invalid(
                field,
                "ALB key endpoints are known for the aws and aws-us-gov partitions only; for \
                 the China (aws-cn) and other partitions, set keys_url (ALB_KEYS_URL) to the \
                 endpoint AWS documents for your region",
            ));
        }
    };
    Ok(LoadBalancer {
        arn: arn.to_owned(),
        keys_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188";

    #[test]
    fn key_endpoints_by_partition_and_region() {
        assert_eq!(
            load_balancer(ARN, "a", None).map(|lb| lb.keys_base),
            Ok("https://public-keys.auth.elb.eu-west-1.amazonaws.com".to_owned())
        );
        let gov =
            "arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:loadbalancer/app/a/1";
        assert_eq!(
            load_balancer(gov, "a", None).map(|lb| lb.keys_base),
            Ok(
                "https://s3-us-gov-west-1.amazonaws.com/aws-elb-public-keys-prod-us-gov-west-1"
                    .to_owned()
            )
        );
        let china = "arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:loadbalancer/app/a/1";
        let refused = load_balancer(china, "alb_arn", None).unwrap_err();
        assert!(refused.to_string().contains("keys_url"), "{refused}");
        assert_eq!(
            load_balancer(china, "a", Some("https://keys.example")).map(|lb| lb.keys_base),
            Ok("https://keys.example".to_owned())
        );
    }

    #[test]
    fn other_resources_are_refused() {
        for arn in [
            "",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/my-alb/5/6",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tg/5",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/nlb/5",
            "arn:aws:cognito-idp:eu-west-1:123456789012:loadbalancer/app/a/5",
            "arn:aws:elasticloadbalancing:EU-WEST-1:123456789012:loadbalancer/app/a/5",
            "arn:aws:elasticloadbalancing:eu-west-1:1234:loadbalancer/app/a/5",
            "arn:aws:elasticloadbalancing:eu-west-1/../x:123456789012:loadbalancer/app/a/5",
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/a/5/../../x",
        ] {
            assert!(load_balancer(arn, "a", None).is_err(), "{arn}");
        }
    }
}

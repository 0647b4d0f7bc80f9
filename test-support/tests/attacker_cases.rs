//! The statuses of `attacker_cases` are the core's own mapping, with and
//! without the key set; `secrets_of` covers each token.

use cognito_jwt_core::http::{AuthRejection, bearer_token};
use cognito_jwt_core::testing::TestIssuer;
use cognito_jwt_core::{AccessTokenClaims, CognitoJwtVerifier};
use cognito_jwt_test_support::{
    attacker_cases, secrets_of, serving_verifier, unavailable_verifier,
};

async fn status(verifier: &CognitoJwtVerifier, authorization: &[Vec<u8>]) -> u16 {
    let token = match bearer_token(authorization.iter().map(Vec::as_slice)) {
        Ok(token) => token,
        Err(rejection) => return rejection.status(),
    };
    match verifier.verify::<AccessTokenClaims>(token).await {
        Ok(_) => 200,
        Err(error) => AuthRejection::from(error).status(),
    }
}

#[tokio::test]
async fn attacker_cases_get_their_statuses() {
    let issuer = TestIssuer::new("eu-west-1_HttpAttack");
    let serving = serving_verifier(&issuer, "client", "admins");
    let down = unavailable_verifier(&issuer, "client");
    let mut signed = 0;
    for case in attacker_cases(&issuer, "client", "admins") {
        let name = case.name;
        assert_eq!(
            status(&serving, &case.authorization).await,
            case.status,
            "{name}"
        );
        assert_eq!(
            status(&down, &case.authorization).await,
            case.status_without_keys,
            "{name}"
        );
        let secrets = secrets_of(case.authorization.iter().map(Vec::as_slice));
        if let Some(token) = case.authorization[0].strip_prefix(b"Bearer ")
            && token.len() > 100
        {
            signed += 1;
            let token = String::from_utf8_lossy(token);
            for part in std::iter::once(&*token).chain(token.split('.')) {
                assert!(secrets.iter().any(|s| s == part), "{name}");
            }
        }
    }
    assert_eq!(signed, 5);
}

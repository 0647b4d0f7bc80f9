#!/usr/bin/env python3
"""Get genuine tokens from a local Cognito emulator, for the example servers
and the `cognito-jwt` CLI.

Creates a user pool, an app client and an `admins` group on the emulator,
then runs the flows a real app runs: sign-up -> confirm -> sign-in for
`alice`, forgot-password -> confirm-forgot-password -> sign-in for `bob`
(who is in `admins`). Prints shell `export` lines: the COGNITO_* settings
for this pool and the tokens (USER_ACCESS_TOKEN, USER_ID_TOKEN,
ADMIN_ACCESS_TOKEN).

    pip install boto3
    examples/scripts/emulator-tokens.py moto > /tmp/pool.env    # or cognito-local, localstack
    . /tmp/pool.env

cognito-local sends its codes to its console instead of by mail: the script
asks for the forgot-password code there (or pass --code-from-log FILE to
read it from cognito-local's output). moto accepts any code.
"""

import argparse
import base64
import json
import re
import sys
import time

import boto3

ENDPOINTS = {
    "moto": "http://127.0.0.1:5001",
    "cognito-local": "http://127.0.0.1:9229",
    "localstack": "http://localhost:4566",
}
PASSWORD = "Correct-Horse-9-battery"
NEW_PASSWORD = "Staple-Battery-7-horse"


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def code_from_log(path, username):
    """The latest code cognito-local printed for `username`."""
    for _ in range(50):
        with open(path, encoding="utf-8", errors="replace") as log:
            text = log.read()
        codes = re.findall(r"Code:\s*(\d+)", text[text.rfind(username):]) if username in text else []
        if codes:
            return codes[-1]
        time.sleep(0.2)
    sys.exit(f"no code for {username} in {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("emulator", choices=sorted(ENDPOINTS))
    parser.add_argument("--endpoint", help="the emulator's URL (default: its usual port)")
    parser.add_argument("--code-from-log", metavar="FILE", help="cognito-local's console output")
    args = parser.parse_args()
    endpoint = args.endpoint or ENDPOINTS[args.emulator]
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )

    pool = idp.create_user_pool(PoolName="cognito-jwt-example")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool, GroupName="admins")
    # cognito-local's pools sign users in by e-mail address by default.
    by_email = "email" in idp.describe_user_pool(UserPoolId=pool)["UserPool"].get(
        "UsernameAttributes", []
    )
    login = {name: f"{name}@example.com" if by_email else name for name in ("alice", "bob")}

    def sign_in(username, password):
        return idp.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )["AuthenticationResult"]

    # alice: sign-up -> confirm -> sign-in.
    for name in ("alice", "bob"):
        idp.sign_up(
            ClientId=client,
            Username=login[name],
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
        )
        # The emulators' stand-in for the code sent by mail.
        idp.admin_confirm_sign_up(UserPoolId=pool, Username=login[name])
    alice = sign_in(login["alice"], PASSWORD)

    # bob: in admins; forgot-password -> confirm -> sign-in with the new password.
    idp.admin_add_user_to_group(UserPoolId=pool, Username=login["bob"], GroupName="admins")
    idp.forgot_password(ClientId=client, Username=login["bob"])
    if args.emulator == "cognito-local":
        code = code_from_log(args.code_from_log, "bob") if args.code_from_log else input(
            "forgot-password code from cognito-local's console: "
        ).strip()
    else:
        code = "123456"
    idp.confirm_forgot_password(
        ClientId=client, Username=login["bob"], ConfirmationCode=code, Password=NEW_PASSWORD
    )
    bob = sign_in(login["bob"], NEW_PASSWORD)

    issuer = claims(alice["IdToken"])["iss"]
    print(f"export COGNITO_USER_POOL_ID={pool}")
    print(f"export COGNITO_CLIENT_ID={client}")
    print("export COGNITO_TOKEN_USE=access")
    print(f"export COGNITO_JWKS_URI={endpoint}/{pool}/.well-known/jwks.json")
    if issuer.startswith("https://cognito-idp."):
        print("unset COGNITO_ISSUER")
    else:
        print(f"export COGNITO_ISSUER={issuer}")
    print(f"export USER_ACCESS_TOKEN={alice['AccessToken']}")
    print(f"export USER_ID_TOKEN={alice['IdToken']}")
    print(f"export ADMIN_ACCESS_TOKEN={bob['AccessToken']}")


if __name__ == "__main__":
    main()

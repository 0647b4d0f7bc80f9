// Creates the example web app's user pool and app client on cognito-local,
// through the same JSON API as Cognito's (CreateUserPool,
// CreateUserPoolClient, DescribeUserPool), and prints what the server and the
// pages need as one line of JSON:
//   {"endpoint","userPoolId","clientId","issuer","jwksUri","passwordPolicy"}
//
//   node pool.mjs http://127.0.0.1:PORT
//
// cognito-local takes these calls without AWS credentials; against Cognito
// they would need signed requests (the AWS CLI or an SDK).

const endpoint = process.argv[2];
if (!endpoint) {
  console.error("usage: node pool.mjs <cognito-local URL>");
  process.exit(2);
}

async function call(operation, parameters) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(parameters),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`${operation}: ${body.__type ?? response.status}: ${body.message ?? ""}`);
  return body;
}

// Users sign in with their e-mail address, which receives the codes; the
// policy is Cognito's default, set explicitly so that the pages show it.
const { UserPool: created } = await call("CreateUserPool", {
  PoolName: "cognito-jwt-web-example",
  UsernameAttributes: ["email"],
  AutoVerifiedAttributes: ["email"],
  Policies: {
    PasswordPolicy: {
      MinimumLength: 8,
      RequireUppercase: true,
      RequireLowercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    },
  },
});
// A public client (no secret: a browser cannot keep one) that may sign in
// with a password (USER_PASSWORD_AUTH).
const { UserPoolClient: client } = await call("CreateUserPoolClient", {
  UserPoolId: created.Id,
  ClientName: "web",
  GenerateSecret: false,
  ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
});
// The policy as the pool holds it, not as asked for.
const { UserPool: pool } = await call("DescribeUserPool", { UserPoolId: created.Id });

// cognito-local's issuer is its own URL (TokenConfig.IssuerDomain defaults
// to http://HOST:PORT), followed by the pool id.
const base = endpoint.replace(/\/+$/, "");
console.log(
  JSON.stringify({
    endpoint: `${base}/`,
    userPoolId: pool.Id,
    clientId: client.ClientId,
    issuer: `${base}/${pool.Id}`,
    jwksUri: `${base}/${pool.Id}/.well-known/jwks.json`,
    passwordPolicy: pool.Policies.PasswordPolicy,
  }),
);

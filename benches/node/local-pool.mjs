// What the Node peers of the side-by-side benchmarks share: the pool
// settings from the same variables the Rust servers read, and a key-set
// fetcher for 127.0.0.1.
//
// aws-jwt-verify derives a Cognito pool's key-set URL from the pool id
// (https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json)
// and its default fetcher speaks https only (node:https refuses http: URLs).
// The benchmarks serve the key set on 127.0.0.1, so the verifier gets a
// SimpleJwksCache whose fetcher answers every key-set request of the pool
// from COGNITO_JWKS_URI: with node:http for an http: URL, and with
// aws-jwt-verify's own default fetcher (SimpleFetcher, node:https, which
// trusts NODE_EXTRA_CA_CERTS) for an https: one. Everything else
// (caching, kid lookup, the checks) is aws-jwt-verify's own.
import { get } from "node:http";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { SimpleFetcher } from "aws-jwt-verify/https";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

export function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function fetchLocal(url) {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`${url} answered ${response.statusCode}`));
        return;
      }
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
      });
    }).on("error", reject);
  });
}

// A verifier for access tokens of COGNITO_USER_POOL_ID issued to
// COGNITO_CLIENT_ID, fetching its key set from COGNITO_JWKS_URI when that
// is set (nothing is fetched until hydrate() or the first verify()).
export function verifierFromEnv() {
  const jwksUri = process.env.COGNITO_JWKS_URI;
  let jwksCache;
  if (jwksUri?.startsWith("https:")) {
    const https = new SimpleFetcher();
    jwksCache = new SimpleJwksCache({ fetcher: { fetch: () => https.fetch(jwksUri) } });
  } else if (jwksUri) {
    jwksCache = new SimpleJwksCache({ fetcher: { fetch: () => fetchLocal(jwksUri) } });
  }
  return CognitoJwtVerifier.create(
    {
      userPoolId: required("COGNITO_USER_POOL_ID"),
      tokenUse: "access",
      clientId: required("COGNITO_CLIENT_ID"),
    },
    { jwksCache },
  );
}

// A local panva/oidc-provider (an OpenID Certified implementation) that
// mints real tokens for cognito-jwt's interoperability test.
//
//   node provider.mjs [PORT]        (or PORT=…; 0 or absent: a free port)
//
// Listens on 127.0.0.1 only, with signing keys generated at start (one per
// algorithm: RS256, PS256, ES256, EdDSA). Once ready it obtains, from its
// own HTTP endpoints, for each algorithm:
//   - an access token in JWT format (RFC 9068, typ at+jwt) by the client
//     credentials grant, for a resource indicator signed with that algorithm;
//   - an ID token by the authorization code flow with PKCE, for a client
//     whose id_token_signed_response_alg is that algorithm (the login and
//     consent are answered by this script: user "alice").
// And, with its DPoP feature (RFC 9449), a DPoP-bound JWT access token
// (client credentials, ES256, `cnf.jkt` the client key's thumbprint)
// obtained with a proof, and proofs of that client key for requests to a
// resource server: a genuine one (GET https://api.example.test/orders),
// one for another method, and one whose `ath` is another token's.
// It prints them as one line of JSON on stdout and keeps serving (discovery
// and the key set) until it is killed.
import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const HOST = '127.0.0.1';
const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
const log = (...args) => console.error('[oidc-provider]', ...args);
// stdout carries only the tokens: the provider's own notices go to stderr.
console.log = console.info = console.warn = (...args) => console.error(...args);

// One private signing key per algorithm, announced with its alg and kid.
function signingKey(alg) {
  const { privateKey } = {
    RS256: () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
    PS256: () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ES256: () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    EdDSA: () => crypto.generateKeyPairSync('ed25519'),
  }[alg]();
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: `interop-${alg.toLowerCase()}` };
}

const resourceOf = (alg) => `https://api.example.test/${alg.toLowerCase()}`;
const idClientOf = (alg) => `web-${alg.toLowerCase()}`;
const SECRET = crypto.randomBytes(24).toString('base64url');

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, HOST, resolve);
});
const issuer = `http://${HOST}:${server.address().port}`;
const redirectUri = `${issuer}/cb`;

const provider = new Provider(issuer, {
  jwks: { keys: ALGORITHMS.map(signingKey) },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  clients: [
    {
      client_id: 'machine',
      client_secret: SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    ...ALGORITHMS.map((alg) => ({
      client_id: idClientOf(alg),
      client_secret: SECRET,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      id_token_signed_response_alg: alg,
    })),
  ],
  features: {
    devInteractions: { enabled: false },
    dPoP: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client, oneOf) => oneOf,
      useGrantedResource: () => false,
      getResourceServerInfo(ctx, resourceIndicator) {
        const alg = ALGORITHMS.find((a) => resourceOf(a) === resourceIndicator);
        if (!alg) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'api:read',
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg } },
        };
      },
    },
  },
  pkce: { required: () => true },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    ClientCredentials: 600,
    Grant: 600,
    IdToken: 600,
    Interaction: 600,
    Session: 600,
  },
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
});

// The login and consent, answered without a person: account "alice",
// every requested OIDC scope granted.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = new provider.Grant({ accountId: 'alice', clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: 'alice' },
      consent: { grantId },
    });
    ctx.redirect(returnTo);
    return;
  }
  await next();
});
provider.on('server_error', (ctx, err) => log('server_error', err));

server.on('request', provider.callback());
log(`listening at ${issuer}`);

const basic = (id) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(SECRET)}`).toString('base64')}`;

// The DPoP client: one ES256 key, and proofs signed with it.
const dpopKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const dpopJwk = (({ kty, crv, x, y }) => ({ kty, crv, x, y }))(dpopKey.publicKey.export({ format: 'jwk' }));
const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
function dpopProof(htm, htu, accessToken) {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: dpopJwk };
  const claims = { jti: crypto.randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000) };
  if (accessToken) claims.ath = crypto.createHash('sha256').update(accessToken).digest('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = crypto.sign('sha256', Buffer.from(input), { key: dpopKey.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

async function token(clientId, params, dpop) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: basic(clientId),
      'content-type': 'application/x-www-form-urlencoded',
      ...(dpop ? { dpop: dpopProof('POST', `${issuer}/token`) } : {}),
    },
    body: new URLSearchParams(params),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint (${clientId}): ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function accessToken(alg) {
  const body = await token('machine', {
    grant_type: 'client_credentials',
    resource: resourceOf(alg),
    scope: 'api:read',
  });
  return { audience: resourceOf(alg), token: body.access_token };
}

// A DPoP-bound access token for the ES256 resource, and the proofs a
// client would send with it to https://api.example.test/orders.
async function dpopBound() {
  const body = await token('machine', {
    grant_type: 'client_credentials',
    resource: resourceOf('ES256'),
    scope: 'api:read',
  }, true);
  if (body.token_type !== 'DPoP') throw new Error(`token_type ${body.token_type}, expected DPoP`);
  const url = 'https://api.example.test/orders';
  const other = await accessToken('ES256');
  return {
    audience: resourceOf('ES256'),
    token: body.access_token,
    url,
    proof: dpopProof('GET', url, body.access_token),
    proof_for_post: dpopProof('POST', url, body.access_token),
    proof_for_another_token: dpopProof('GET', url, other.token),
  };
}

// The authorization code flow with PKCE, following the redirects by hand
// and carrying the provider's cookies.
async function idToken(alg) {
  const clientId = idClientOf(alg);
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const jar = new Map();
  let url = `${issuer}/auth?${new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: redirectUri,
    nonce: crypto.randomBytes(12).toString('base64url'),
    state: crypto.randomBytes(12).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
  for (let hop = 0; hop < 10 && !url.startsWith(`${redirectUri}?`); hop += 1) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`authorization (${clientId}): ${res.status} without a redirect: ${await res.text()}`);
    url = new URL(location, url).href;
  }
  const answer = new URL(url).searchParams;
  if (!answer.get('code')) throw new Error(`authorization (${clientId}): ${url}`);
  const body = await token(clientId, {
    grant_type: 'authorization_code',
    code: answer.get('code'),
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  return { audience: clientId, token: body.id_token };
}

try {
  const out = { issuer, access_tokens: {}, id_tokens: {} };
  for (const alg of ALGORITHMS) {
    out.access_tokens[alg] = await accessToken(alg);
    out.id_tokens[alg] = await idToken(alg);
  }
  out.dpop = await dpopBound();
  process.stdout.write(`${JSON.stringify(out)}\n`);
  log('tokens printed; serving discovery and the key set until killed');
} catch (err) {
  log('could not mint the tokens:', err);
  process.exit(1);
}

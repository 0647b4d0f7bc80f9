// The Node peer of the HTTP side-by-side benchmark (benches/http/run.sh):
// GET /api/me behind aws-jwt-verify on node:http, answering with the same
// JSON body as the example servers. The key set is fetched at start-up
// (verifier.hydrate(), as aws-jwt-verify's README advises for servers);
// then each request runs `await verifier.verify(token)`: RS256 signature,
// iss, exp, token_use = access, client_id.
//
// Reads COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, COGNITO_JWKS_URI and
// BIND_ADDR (default 127.0.0.1:0); prints `listening on http://<address>`.
import { createServer } from "node:http";
import { verifierFromEnv } from "./local-pool.mjs";

const verifier = verifierFromEnv();
await verifier.hydrate();

const bind = process.env.BIND_ADDR ?? "127.0.0.1:0";
const colon = bind.lastIndexOf(":");
const [host, port] = [bind.slice(0, colon), Number(bind.slice(colon + 1))];

function send(response, status, body) {
  const json = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(json),
  });
  response.end(json);
}

const server = createServer(async (request, response) => {
  if (request.method !== "GET" || request.url !== "/api/me") {
    send(response, 404, { error: "not_found" });
    return;
  }
  const authorization = request.headers.authorization ?? "";
  const token = authorization.startsWith("Bearer ") ? authorization.slice(7) : "";
  let payload;
  try {
    payload = await verifier.verify(token);
  } catch {
    response.setHeader("www-authenticate", 'Bearer error="invalid_token"');
    send(response, 401, { error: "invalid_token" });
    return;
  }
  send(response, 200, {
    sub: payload.sub,
    username: payload.username ?? null,
    groups: payload["cognito:groups"] ?? [],
    scopes: payload.scope ? payload.scope.split(" ") : [],
  });
});

server.listen(port, host, () => {
  const address = server.address();
  console.log(`listening on http://${address.address}:${address.port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}

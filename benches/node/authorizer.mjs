// The Node peer of the Lambda cold-start benchmark (benches/cold-start/):
// an API Gateway REST `TOKEN` authorizer written with aws-jwt-verify, as
// its README shows, answering as the Rust `apigw-authorizer` does: Allow
// for the called method with principalId = sub and the caller in the
// context; "Unauthorized" for a refused token.
//
// Lambda's managed Node runtime is not available here and its runtime
// interface client (aws-lambda-ric) needs a native build, so the Runtime
// API loop at the end is written by hand with node:http: init, then
// `GET /2018-06-01/runtime/invocation/next`, handle, POST the result.
//
// The key set: with COGNITO_JWKS_FILE, read from that file at init
// (bundled with the function, `verifier.cacheJwks`); otherwise fetched
// at init with `verifier.hydrate()` (from COGNITO_JWKS_URI, see
// local-pool.mjs), before the first invocation, as the Rust authorizer does.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { verifierFromEnv } from "./local-pool.mjs";

const runtimeApi = process.env.AWS_LAMBDA_RUNTIME_API;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = data === undefined ? {} : {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(data),
    };
    const req = request(
      `http://${runtimeApi}/2018-06-01/runtime${path}`,
      { method, agent, headers },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () =>
          resolve({ headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

function errorBody(error) {
  return { errorType: error.name ?? "Error", errorMessage: String(error.message ?? error) };
}

async function init() {
  const verifier = verifierFromEnv();
  const jwksFile = process.env.COGNITO_JWKS_FILE;
  if (jwksFile) {
    verifier.cacheJwks(JSON.parse(readFileSync(jwksFile, "utf8")));
  } else {
    await verifier.hydrate();
  }
  return verifier;
}

let verifier;
try {
  verifier = await init();
} catch (error) {
  await call("POST", "/init/error", errorBody(error));
  process.exit(2);
}

export async function handler(event) {
  const token = (event.authorizationToken ?? "").replace(/^Bearer /, "");
  let payload;
  try {
    payload = await verifier.verify(token);
  } catch {
    throw new Error("Unauthorized");
  }
  return {
    principalId: payload.sub,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }],
    },
    context: {
      sub: payload.sub,
      username: payload.username ?? "",
      client_id: payload.client_id,
      token_use: payload.token_use,
      scope: payload.scope ?? "",
      groups: (payload["cognito:groups"] ?? []).join(" "),
    },
  };
}

for (;;) {
  const next = await call("GET", "/invocation/next");
  const id = next.headers["lambda-runtime-aws-request-id"];
  try {
    const result = await handler(JSON.parse(next.body));
    await call("POST", `/invocation/${id}/response`, result);
  } catch (error) {
    await call("POST", `/invocation/${id}/error`, errorBody(error));
  }
}

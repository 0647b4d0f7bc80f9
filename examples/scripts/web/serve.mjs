// The pages server of the example web app (examples/web/), started by
// examples/scripts/web.sh. On one 127.0.0.1 origin it serves
//   - the files of --root (GET and HEAD only, nothing outside it),
//   - /config.json: what the pages need to call the user pool (its
//     endpoint, the app client, the password policy),
//   - /api/…: forwarded unchanged to --api, the example server, as a
//     reverse proxy in front of both would; the API needs no CORS.
// The pages call the user pool directly, as they would call Cognito; the
// Content-Security-Policy lets them connect to this origin and to it only.
//
//   node serve.mjs --root DIR --pool POOL.json --api URL [--port N] [--notice TEXT]
//
// POOL.json is what pool.mjs printed. Prints `serving on http://127.0.0.1:PORT`
// on stdout once listening; logs one line per request on stderr.

import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";

const { values: options } = parseArgs({
  options: {
    root: { type: "string" },
    pool: { type: "string" },
    api: { type: "string" },
    port: { type: "string", default: "0" },
    notice: { type: "string", default: "" },
  },
});
for (const name of ["root", "pool", "api"]) {
  if (!options[name]) {
    console.error(`error: --${name} is required`);
    process.exit(2);
  }
}

const root = path.resolve(options.root);
const pool = JSON.parse(await readFile(options.pool, "utf8"));
const api = new URL(options.api);
const cognitoOrigin = new URL(pool.endpoint).origin;

const pageConfig = JSON.stringify({
  cognito: { endpoint: pool.endpoint, clientId: pool.clientId },
  passwordPolicy: pool.passwordPolicy,
  notice: options.notice,
});

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

const SECURITY_HEADERS = {
  "Content-Security-Policy": [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${cognitoOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

// Headers that belong to one connection, not to the request forwarded.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
]);

const server = http.createServer((request, response) => {
  const started = Date.now();
  response.on("finish", () => {
    const pathOnly = (request.url ?? "").split("?")[0];
    console.error(`${request.method} ${pathOnly} ${response.statusCode} ${Date.now() - started}ms`);
  });
  const { pathname } = new URL(request.url ?? "/", "http://pages.invalid");
  if (pathname.startsWith("/api/")) {
    forward(request, response);
  } else if (request.method !== "GET" && request.method !== "HEAD") {
    send(response, 405, "text/plain; charset=utf-8", "method not allowed\n", { Allow: "GET, HEAD" });
  } else if (pathname === "/config.json") {
    send(response, 200, "application/json", pageConfig);
  } else {
    serveFile(pathname, request.method === "HEAD", response);
  }
});

function send(response, status, contentType, body, extra = {}, headOnly = false) {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extra,
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(headOnly ? undefined : body);
}

async function serveFile(pathname, headOnly, response) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname === "/" ? "/index.html" : pathname);
  } catch {
    return send(response, 400, "text/plain; charset=utf-8", "bad path\n");
  }
  const file = path.resolve(root, `.${decoded}`);
  const type = CONTENT_TYPES[path.extname(file)];
  if (!file.startsWith(root + path.sep) || decoded.includes("\0") || !type) {
    return send(response, 404, "text/plain; charset=utf-8", "not found\n");
  }
  try {
    send(response, 200, type, await readFile(file), {}, headOnly);
  } catch {
    send(response, 404, "text/plain; charset=utf-8", "not found\n");
  }
}

function forward(request, response) {
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
  );
  const upstream = http.request(
    {
      hostname: api.hostname,
      port: api.port,
      method: request.method,
      path: request.url,
      headers: { ...headers, host: api.host },
    },
    (answer) => {
      const answerHeaders = Object.fromEntries(
        Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)),
      );
      response.writeHead(answer.statusCode ?? 502, answerHeaders);
      answer.pipe(response);
    },
  );
  upstream.on("error", () => {
    if (!response.headersSent) {
      send(
        response,
        502,
        "application/json",
        JSON.stringify({ error: "bad_gateway", message: "the API server does not answer" }),
      );
    } else {
      response.destroy();
    }
  });
  request.pipe(upstream);
}

server.listen(Number(options.port), "127.0.0.1", () => {
  console.log(`serving on http://127.0.0.1:${server.address().port}`);
});

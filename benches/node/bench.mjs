// Times aws-jwt-verify and jose on the token and key set that
// `cargo run --release -p cognito-jwt-benches --bin export-fixture` writes
// to ./fixture/ (or to the directory given as the first argument).
// Sampling mirrors the Rust `interleaved` binary: every sample runs each
// case for about a millisecond, and the 10th percentile and median of the
// per-sample ns/op are reported. node:crypto with a key object created once
// is Node's own floor for the same RSA check.
import { createPublicKey, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { createLocalJWKSet, jwtVerify } from "jose";

const dir = process.argv[2] ?? fileURLToPath(new URL("./fixture/", import.meta.url));
const read = (name) => readFileSync(join(dir, name), "utf8");
const token = read("token.txt").trim();
const jwks = JSON.parse(read("jwks.json"));
const config = JSON.parse(read("config.json"));
const samples = Number(process.env.SAMPLES ?? 200);

const awsVerifier = CognitoJwtVerifier.create({
  userPoolId: config.userPoolId,
  tokenUse: "access",
  clientId: config.clientId,
});
awsVerifier.cacheJwks(jwks);

const joseKeys = createLocalJWKSet(jwks);
async function joseVerify() {
  const { payload } = await jwtVerify(token, joseKeys, {
    issuer: config.issuer,
    algorithms: ["RS256"],
  });
  if (payload.client_id !== config.clientId || payload.token_use !== "access") {
    throw new Error("client_id or token_use mismatch");
  }
  return payload;
}

const publicKey = createPublicKey({ key: jwks.keys[0], format: "jwk" });
const dot = token.lastIndexOf(".");
const signingInput = Buffer.from(token.slice(0, dot));
const signature = Buffer.from(token.slice(dot + 1), "base64url");

const cases = [
  ["node:crypto/parsed_key (Node floor)", () => verify("RSA-SHA256", signingInput, publicKey, signature)],
  ["aws-jwt-verify/verifySync", () => awsVerifier.verifySync(token)],
  ["jose/jwtVerify", joseVerify],
];

async function time(op, iterations) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const result = await op();
    if (!result) throw new Error("a case refused the token");
  }
  return Number(process.hrtime.bigint() - started) / iterations;
}

const batches = [];
for (const [, op] of cases) {
  await time(op, 2000);
  const ns = await time(op, 2000);
  batches.push(Math.max(10, Math.round(1e6 / ns)));
}
const results = cases.map(() => []);
for (let sample = 0; sample < samples; sample++) {
  for (let offset = 0; offset < cases.length; offset++) {
    const index = (sample + offset) % cases.length;
    results[index].push(await time(cases[index][1], batches[index]));
  }
}
const percentile = (sorted, p) => sorted[Math.round((sorted.length - 1) * p)];
console.log(`Node ${process.version}, ${samples} interleaved samples, token ${token.length} bytes`);
console.log("| case | p10 ns/op | median ns/op |");
console.log("|---|---:|---:|");
for (const [i, [name]] of cases.entries()) {
  const sorted = results[i].sort((a, b) => a - b);
  console.log(`| ${name} | ${percentile(sorted, 0.1).toFixed(0)} | ${percentile(sorted, 0.5).toFixed(0)} |`);
}

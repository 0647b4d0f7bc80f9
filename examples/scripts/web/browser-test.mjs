// The example web app in a real browser: Playwright drives Chromium through
// the flow the app was made for, against the services examples/scripts/web.sh
// started (examples/tests/it/browser.rs runs both):
//   sign up (the password policy first), sign in before confirming, confirm
//   with the code from cognito-local's log, a wrong password, sign in (home
//   shows one more item and the "me" panel the user), sign out, forgot
//   password, reset with the code, the old password refused, sign in with
//   the new one, sign out (the page sends no token any more).
// Every page is saved as a PNG in --out, numbered in order. Any request to
// anything but 127.0.0.1 is refused and fails the test.
//
//   node browser-test.mjs --stack STATE/stack.json --out DIR --profile DIR [--chromium PATH]
//
// Prints one line per step; exits 1 at the first that fails, after saving
// the page as failed.png.

import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

import { codesIn } from "./codes.mjs";

const { values: options } = parseArgs({
  options: {
    stack: { type: "string" },
    out: { type: "string" },
    profile: { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
for (const name of ["stack", "out", "profile"]) {
  if (!options[name]) {
    console.error(`error: --${name} is required`);
    process.exit(2);
  }
}

// Headless, and nothing that calls home: this machine, like CI, reaches
// no host but itself. The profile directory is a fresh one per run.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WAIT_MS = 10_000;
const PASSWORD = "Correct-Horse-9-battery";
const NEW_PASSWORD = "Staple-Battery-7-horse";

const stack = JSON.parse(await readFile(options.stack, "utf8"));
const email = `visitor-${Date.now().toString(36)}@example.com`;
await mkdir(options.out, { recursive: true });

const context = await chromium.launchPersistentContext(options.profile, {
  executablePath: options.chromium,
  headless: true,
  args: CHROMIUM_FLAGS,
  viewport: { width: 1000, height: 640 },
});
const outside = [];
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (url.hostname === "127.0.0.1") return route.continue();
  outside.push(url.href);
  return route.abort("blockedbyclient");
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(WAIT_MS);

const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(error.message));
page.on("console", (message) => {
  if (message.text().includes("Content Security Policy")) pageErrors.push(message.text());
});
// Every API request, in order, with (the promise of) its Authorization
// header or null.
const apiCalls = [];
page.on("request", (request) => {
  const { pathname } = new URL(request.url());
  if (!pathname.startsWith("/api/")) return;
  apiCalls.push({
    path: pathname,
    authorization: request.allHeaders().then((headers) => headers.authorization ?? null),
  });
});

let shots = 0;
async function screenshot(name) {
  shots += 1;
  const file = path.join(options.out, `${String(shots).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

async function step(name, action) {
  const started = Date.now();
  try {
    await action();
  } catch (error) {
    console.log(`FAIL  ${name}: ${error.message}`);
    await page.screenshot({ path: path.join(options.out, "failed.png"), fullPage: true }).catch(() => {});
    console.log(`      the page said: ${(await page.locator("body").innerText().catch(() => "?")).replace(/\s+/g, " ")}`);
    await context.close();
    process.exit(1);
  }
  console.log(`ok    ${name} (${Date.now() - started} ms)`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Waits until `locator`'s text matches `pattern`, and returns the text. */
async function textMatching(locator, pattern) {
  const deadline = Date.now() + WAIT_MS;
  let text = "";
  while (Date.now() < deadline) {
    text = (await locator.first().textContent().catch(() => null)) ?? "";
    if (pattern.test(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`expected ${pattern} in ${JSON.stringify(text)}`);
}

async function heading(name) {
  await page.getByRole("heading", { level: 1, name }).waitFor();
}

const alert = () => page.getByRole("alert");
const notice = () => page.locator(".notice");
const feedItems = () => page.locator(".activities li");
const mePanel = () => page.locator("aside.me");

async function feedHasItems(count) {
  const deadline = Date.now() + WAIT_MS;
  while ((await feedItems().count()) !== count) {
    check(Date.now() < deadline, `expected ${count} feed items, saw ${await feedItems().count()}`);
    await page.waitForTimeout(100);
  }
}

/** The latest code cognito-local logged for `email` and `operation`. */
async function codeFor(operation) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = codesIn(await readFile(stack.cognitoLog, "utf8")).filter(
      (entry) => entry.destination === email && entry.operation === operation,
    );
    if (found.length) return found.at(-1);
    check(Date.now() < deadline, `no ${operation} code for ${email} in ${stack.cognitoLog}`);
    await page.waitForTimeout(200);
  }
}

async function signIn(password) {
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** The API calls made from now on, to check what they carried: `[{ path, authorization }]`. */
function callsFromNow() {
  const first = apiCalls.length;
  return () =>
    Promise.all(
      apiCalls.slice(first).map(async (call) => ({ path: call.path, authorization: await call.authorization })),
    );
}

/** Every API call made so far: `[{ path, authorization }]`. */
function callsFromSoFar() {
  return Promise.all(apiCalls.map(async (call) => ({ path: call.path, authorization: await call.authorization })));
}

async function signedOutHome(callsSince) {
  await heading("Home");
  await feedHasItems(3);
  await textMatching(mePanel(), /Signed out\..*401 unauthorized: a bearer token is required/);
  const calls = (await callsSince()).filter((call) => call.path !== "/api/signout");
  check(calls.length >= 2, `expected the feed and /api/me to be asked, saw ${JSON.stringify(calls)}`);
  check(
    calls.every((call) => call.authorization === null),
    `signed out, yet a request carried a token: ${JSON.stringify(calls.map((call) => call.path))}`,
  );
}

let user;

await step("home, signed out: 3 public items, /api/me answers 401", async () => {
  const calls = callsFromNow();
  await page.goto(stack.pages);
  await signedOutHome(calls);
  await screenshot("home-signed-out");
});

await step("sign up: a weak password gets the pool's policy", async () => {
  await page.getByRole("link", { name: "Sign up" }).click();
  await heading("Create an account");
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill("password");
  await page.getByRole("button", { name: "Sign up" }).click();
  await textMatching(alert(), /does not meet the pool's policy.*upper-case letter.*a number.*a symbol/);
  await screenshot("sign-up-password-policy");
});

await step("sign up: account created, code sent", async () => {
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await heading("Confirm your account");
  await textMatching(notice(), new RegExp(`confirmation code was sent to ${email}`));
  await screenshot("confirm");
});

await step("sign in before confirming: told to confirm", async () => {
  await page.getByRole("link", { name: "Back to sign in" }).click();
  await heading("Sign in");
  await signIn(PASSWORD);
  await textMatching(alert(), /not confirmed yet/);
  await screenshot("sign-in-unconfirmed");
});

await step("confirm with the code from cognito-local's log", async () => {
  await page.getByRole("link", { name: "Confirm the account" }).click();
  await heading("Confirm your account");
  const sent = await codeFor("SignUp");
  user = sent.username;
  await page.getByLabel("Confirmation code").fill(sent.code);
  await page.getByRole("button", { name: "Confirm" }).click();
  await heading("Sign in");
  await textMatching(notice(), /confirmed: sign in/);
});

await step("sign in with a wrong password: refused", async () => {
  await signIn("Not-the-password-1");
  await textMatching(alert(), /Incorrect e-mail address or password/);
  await screenshot("sign-in-wrong-password");
});

await step("sign in: home shows one more item, /api/me the user", async () => {
  const calls = callsFromNow();
  await signIn(PASSWORD);
  await heading("Home");
  await feedHasItems(4);
  await textMatching(feedItems(), new RegExp(`Welcome back, ${user}!`));
  await textMatching(mePanel(), new RegExp(`sub${user}username${user}`));
  await textMatching(page.locator("nav"), new RegExp(email));
  const sent = await calls();
  check(
    sent.length >= 2 && sent.every((call) => call.authorization?.startsWith("Bearer ey")),
    `signed in, yet an API request went without the access token: ${JSON.stringify(sent.map((call) => call.path))}`,
  );
  const stored = await page.evaluate(() => localStorage.length + sessionStorage.length);
  check(stored === 0, `the page stored ${stored} items in web storage`);
  const cookies = await context.cookies();
  check(cookies.length === 0, `the page set cookies: ${cookies.map((cookie) => cookie.name)}`);
  await screenshot("home-signed-in");
});

await step("sign out: the server revokes the token, the page drops it", async () => {
  const before = await callsFromSoFar();
  const authorization = before.reverse().find((call) => call.authorization)?.authorization;
  check(authorization?.startsWith("Bearer ey"), "no token was sent while signed in");
  const calls = callsFromNow();
  await page.getByRole("button", { name: "Sign out" }).click();
  await textMatching(notice(), /signed out: the server revoked your session/);
  await signedOutHome(calls);
  const sent = await calls();
  check(
    sent.some((call) => call.path === "/api/signout" && call.authorization === authorization),
    `the sign-out did not send the token: ${JSON.stringify(sent.map((call) => call.path))}`,
  );
  // A copy of the token (a log, an extension) is refused from now on.
  const replay = await fetch(new URL("/api/me", stack.pages), { headers: { Authorization: authorization } });
  check(replay.status === 401, `the signed-out token got ${replay.status} from /api/me`);
  const challenge = replay.headers.get("www-authenticate") ?? "";
  check(challenge.includes('error="invalid_token"'), `the signed-out token's challenge: ${challenge}`);
});

await step("forgot password: a code is sent", async () => {
  await page.getByRole("link", { name: "Sign in", exact: true }).click();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await heading("Forgot your password?");
  await page.getByLabel("E-mail address").fill(email);
  await screenshot("forgot-password");
  await page.getByRole("button", { name: "Send the code" }).click();
  await heading("Choose a new password");
  await textMatching(notice(), new RegExp(`code to reset your password was sent to ${email}`));
});

await step("reset the password with the code from cognito-local's log", async () => {
  const sent = await codeFor("ForgotPassword");
  await page.getByLabel("Code").fill(sent.code);
  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await screenshot("reset-password");
  await page.getByRole("button", { name: "Change the password" }).click();
  await heading("Sign in");
  await textMatching(notice(), /password is changed/);
});

await step("sign in with the old password: refused", async () => {
  await signIn(PASSWORD);
  await textMatching(alert(), /Incorrect e-mail address or password/);
});

await step("sign in with the new password", async () => {
  await signIn(NEW_PASSWORD);
  await heading("Home");
  await feedHasItems(4);
  await textMatching(mePanel(), new RegExp(`sub${user}`));
});

await step("sign out: the page sends no token, /api/me shows signed out", async () => {
  const calls = callsFromNow();
  await page.getByRole("button", { name: "Sign out" }).click();
  await signedOutHome(calls);
  await screenshot("home-after-sign-out");
});

await step("nothing but 127.0.0.1 was asked, no script error", async () => {
  check(outside.length === 0, `requests beyond 127.0.0.1: ${outside.join(", ")}`);
  check(pageErrors.length === 0, `errors on the page: ${pageErrors.join("; ")}`);
});

await context.close();
console.log(`${shots} screenshots in ${options.out}`);

// The example app's pages: one at a time, chosen by the URL's fragment
// (#/signup, #/confirm, #/signin, #/forgot, #/reset; #/ is home), so that
// moving between them never reloads the document and loses the session,
// which lives in memory (session.js).
//
// Every text that comes from outside (Cognito's messages, the API's answers,
// what the user typed) is shown with textContent, never parsed as HTML.

import * as api from "./api.js";
import { CognitoError, cognitoClient } from "./cognito.js";
import { describePolicy, unmetRules } from "./password-policy.js";
import * as session from "./session.js";

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const footer = document.getElementById("footer");

const PAGES = {
  "": { title: "Home", show: home },
  signup: { title: "Sign up", show: signup },
  confirm: { title: "Confirm", show: confirm },
  signin: { title: "Sign in", show: signin },
  forgot: { title: "Forgot password", show: forgot },
  reset: { title: "New password", show: reset },
};

// What one page hands the next: the address typed, and a notice to show once.
const handover = { email: "", notice: null };

// Bumped on every page change, so that a slow answer for a page the user
// has left is dropped.
let shown = 0;

let config;
let cognito;
try {
  config = await loadConfig();
  cognito = cognitoClient(config.cognito);
  footer.textContent = config.notice ?? "";
  window.addEventListener("hashchange", render);
  render();
} catch (error) {
  view.replaceChildren(paragraph("message error", `The app cannot start: ${error.message}`));
}

async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  return response.json();
}

function render() {
  const requested = location.hash.replace(/^#\/?/, "");
  const name = Object.hasOwn(PAGES, requested) ? requested : "";
  const page = PAGES[name];
  shown += 1;
  document.title = `${page.title} · Cruddur`;
  renderNav();
  view.replaceChildren(document.getElementById(`page-${name || "home"}`).content.cloneNode(true));
  if (handover.notice) {
    view.prepend(paragraph("message ok notice", handover.notice));
    handover.notice = null;
  }
  for (const input of view.querySelectorAll('input[name="email"]')) input.value = handover.email;
  page.show(shown);
  [...view.querySelectorAll("input")].find((input) => !input.value)?.focus();
}

function renderNav() {
  if (session.isSignedIn()) {
    const button = element("button", "link", "Sign out");
    button.type = "button";
    button.addEventListener("click", async () => {
      const revoked = await session.signOut();
      go(
        "",
        revoked
          ? "You are signed out: the server revoked your session and this page no longer holds a token."
          : "You are signed out here, but the server could not revoke your session: a copy of the token works until it expires.",
      );
    });
    nav.replaceChildren(element("span", "who", session.email()), button);
  } else {
    nav.replaceChildren(link("#/signin", "Sign in"), link("#/signup", "Sign up"));
  }
}

/** Show `page` (a key of PAGES), with `notice` on top of it. */
function go(page, notice = null) {
  handover.notice = notice;
  const hash = `#/${page}`;
  if (location.hash === hash) render();
  else location.hash = hash;
}

// ---- home: the feed and the "me" panel -------------------------------------

async function home(generation) {
  const token = session.accessToken();
  const [feed, me] = await Promise.all([api.homeFeed(token), api.me(token)]);
  if (generation !== shown) return;

  const caption = slot("feed-caption");
  const list = slot("activities");
  if (feed.status === 200) {
    caption.textContent = feed.body.signed_in_as
      ? "The API verified your access token and added one item for you."
      : "The public items. Sign in to see one more.";
    list.replaceChildren(
      ...feed.body.activities.map((activity) => {
        const item = element("li");
        item.append(element("strong", "handle", `@${activity.handle}`), paragraph("", activity.message));
        return item;
      }),
    );
  } else {
    caption.replaceChildren(paragraph("message error", refusal("The feed", feed)));
  }

  const panel = slot("me");
  if (me.status === 200) {
    panel.replaceChildren(
      facts([
        ["sub", me.body.sub],
        ["username", me.body.username ?? "(none)"],
        ["groups", me.body.groups.join(", ") || "(none)"],
        ["scopes", me.body.scopes.join(" ") || "(none)"],
      ]),
    );
  } else if (me.status === 401 && !token) {
    panel.replaceChildren(
      paragraph("signed-out", "Signed out."),
      paragraph("hint", refusal("The API", me)),
    );
  } else {
    panel.replaceChildren(paragraph("message error", refusal("The API", me)));
  }
}

/**
 * What the API answered, in words: the status and the refusal's body
 * (`error`, `kind` when there is one, `error_description`), e.g.
 * "The API answered 401 invalid_token (expired): the token has expired."
 */
function refusal(who, answer) {
  if (answer.status === 0) return `${who} cannot be reached.`;
  const { error, kind, error_description: description } = answer.body ?? {};
  if (!error) return `${who} answered ${answer.status}.`;
  return `${who} answered ${answer.status} ${error}${kind ? ` (${kind})` : ""}: ${description ?? ""}.`;
}

// ---- the account pages ------------------------------------------------------

function signup() {
  slot("policy").textContent = describePolicy(config.passwordPolicy);
  onSubmit(
    async ({ email, password }) => {
      requireFilled({ email, password });
      requirePolicy(password);
      const answer = await cognito.signUp(email, password);
      handover.email = email;
      if (answer.UserConfirmed) {
        go("signin", "Your account is created: sign in.");
      } else {
        go("confirm", `Your account is created. A confirmation code was sent to ${destination(answer)}.`);
      }
    },
    {
      UsernameExistsException: () => ({
        text: "An account with this e-mail address already exists.",
        link: ["#/signin", "Sign in"],
      }),
    },
  );
}

function confirm() {
  onSubmit(
    async ({ email, code }) => {
      requireFilled({ email, code });
      await cognito.confirmSignUp(email, code.trim());
      handover.email = email;
      go("signin", "Your account is confirmed: sign in.");
    },
    {
      NotAuthorizedException: () => ({
        text: "This account cannot be confirmed: it is confirmed already, or the address is not the one you signed up with.",
        link: ["#/signin", "Sign in"],
      }),
    },
  );
}

function signin() {
  const wrong = () => ({ text: "Incorrect e-mail address or password." });
  onSubmit(
    async ({ email, password }) => {
      requireFilled({ email, password });
      handover.email = email;
      session.begin(email, await cognito.signIn(email, password));
      go("");
    },
    {
      // Cognito answers NotAuthorizedException for a wrong password (and for
      // an unknown user, unless the pool reveals which users exist);
      // cognito-local answers InvalidPasswordException.
      NotAuthorizedException: wrong,
      InvalidPasswordException: wrong,
      UserNotFoundException: wrong,
      UserNotConfirmedException: () => ({
        text: "This account is not confirmed yet: enter the code that was sent to your e-mail address.",
        link: ["#/confirm", "Confirm the account"],
      }),
      PasswordResetRequiredException: () => ({
        text: "This account needs a new password.",
        link: ["#/forgot", "Choose one"],
      }),
    },
  );
}

function forgot() {
  onSubmit(async ({ email }) => {
    requireFilled({ email });
    const answer = await cognito.forgotPassword(email);
    handover.email = email;
    go("reset", `A code to reset your password was sent to ${destination(answer)}.`);
  });
}

function reset() {
  slot("policy").textContent = describePolicy(config.passwordPolicy);
  onSubmit(async ({ email, code, password }) => {
    requireFilled({ email, code, password });
    requirePolicy(password);
    await cognito.confirmForgotPassword(email, code.trim(), password);
    handover.email = email;
    go("signin", "Your password is changed: sign in with the new one.");
  });
}

// ---- forms and messages -----------------------------------------------------

/** A problem found before anything is sent: `lines` are listed under the text. */
class FormProblem extends Error {
  constructor(text, lines = []) {
    super(text);
    this.lines = lines;
  }
}

function requireFilled(fields) {
  const empty = Object.entries(fields).filter(([, value]) => !value.trim());
  if (empty.length) throw new FormProblem("Fill in every field.");
}

function requirePolicy(password) {
  const unmet = unmetRules(config.passwordPolicy, password);
  if (unmet.length) throw new FormProblem("This password does not meet the pool's policy. It needs:", unmet);
}

// Answers every page may get, whatever it asked.
const COMMON_ANSWERS = {
  NetworkError: (error) => ({ text: error.message }),
  CodeMismatchException: () => ({ text: "That code is not the one that was sent. Check the latest message and try again." }),
  ExpiredCodeException: () => ({ text: "That code has expired: ask for a new one." }),
  InvalidPasswordException: (error) => ({ text: `The pool refused this password: ${error.message}` }),
  UserNotFoundException: () => ({ text: "There is no account with this e-mail address." }),
  LimitExceededException: () => ({ text: "Too many attempts: wait a while, then try again." }),
  TooManyRequestsException: () => ({ text: "Too many attempts: wait a while, then try again." }),
  InvalidParameterException: (error) => ({ text: `Cognito refused the request: ${error.message}` }),
};

/**
 * Run `action` with the form's fields when the form is sent, and show why it
 * failed: `answers` maps Cognito's exception names to what this page says.
 */
function onSubmit(action, answers = {}) {
  const form = view.querySelector("form");
  const message = slot("message");
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.className = "message";
    message.replaceChildren();
    button.disabled = true;
    try {
      await action(Object.fromEntries(new FormData(form)));
    } catch (error) {
      showProblem(message, explain(error, answers));
    } finally {
      button.disabled = false;
    }
  });
}

function explain(error, answers) {
  if (error instanceof FormProblem) return { text: error.message, lines: error.lines };
  if (error instanceof CognitoError) {
    const answer = answers[error.code] ?? COMMON_ANSWERS[error.code];
    if (answer) return answer(error);
    const detail = error.message && error.message !== error.code ? `: ${error.message}` : "";
    return { text: `Cognito refused the request (${error.code}${detail}).` };
  }
  return { text: `Something went wrong: ${error.message}` };
}

function showProblem(message, { text, lines = [], link: target }) {
  message.className = "message error";
  message.replaceChildren(text);
  if (lines.length) {
    message.append(element("ul", "", ...lines.map((line) => element("li", "", line))));
  }
  if (target) message.append(" ", link(...target));
}

/** Where a code went, as Cognito reports it (masked by real Cognito). */
function destination(answer) {
  return answer.CodeDeliveryDetails?.Destination ?? "your e-mail address";
}

// ---- DOM helpers --------------------------------------------------------------

function slot(name) {
  return view.querySelector(`[data-slot="${name}"]`);
}

function element(tag, className = "", ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function paragraph(className, text) {
  return element("p", className, text);
}

function link(href, text) {
  const anchor = element("a", "", text);
  anchor.href = href;
  return anchor;
}

function facts(pairs) {
  const list = element("dl", "facts");
  for (const [term, value] of pairs) list.append(element("dt", "", term), element("dd", "", value));
  return list;
}

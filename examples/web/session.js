// The signed-in session, in this module's memory only: never in
// localStorage, sessionStorage or a cookie, where any script that gets into
// the page (or a later visitor of a shared computer) could read it. A reload
// signs the user out; README.md says why that is the trade-off taken here.

import * as api from "./api.js";

let current = null;

/** Whether someone is signed in. */
export function isSignedIn() {
  return current !== null;
}

/** The e-mail address the user signed in with, or null. */
export function email() {
  return current?.email ?? null;
}

/** The access token to send as `Authorization: Bearer …`, or null. */
export function accessToken() {
  return current?.accessToken ?? null;
}

/**
 * Keep what InitiateAuth answered. Only the access token is kept: the API
 * takes access tokens, and this example does not refresh them, so the ID
 * and refresh tokens are not held at all.
 */
export function begin(emailAddress, authenticationResult) {
  current = { email: emailAddress, accessToken: authenticationResult.AccessToken };
}

/**
 * Sign out: the one place that ends a session. The server revokes the
 * token first (`POST /api/signout`), so that a copy of it (in a log, an
 * extension, a shared computer's memory) is refused from then on; the token
 * is forgotten here whatever the answer. Resolves to whether the server
 * revoked it.
 */
export async function signOut() {
  const token = current?.accessToken;
  current = null;
  if (!token) return false;
  return (await api.signOut(token)) === 204;
}

// The signed-in session, in this module's memory only: never in
// localStorage, sessionStorage or a cookie, where any script that gets into
// the page (or a later visitor of a shared computer) could read it. A reload
// signs the user out; README.md says why that is the trade-off taken here.

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
 * Sign out: the one place that ends a session.
 *
 * The example server has no revocation yet, so signing out only forgets the
 * token here; a copy of it stays valid until it expires. Once the server
 * offers `POST /api/signout`, that call belongs here, with the access token,
 * before the token is forgotten.
 */
export async function signOut() {
  current = null;
}

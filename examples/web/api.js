// The example server's routes (examples/src/axum_server.rs). They are asked
// on the pages' own origin: the pages server forwards /api/ to the API, as a
// reverse proxy or CDN in front of both would, so the API needs no CORS.

/**
 * GET `path`, with `token` as a bearer token when there is one. Resolves to
 * `{ status, body }`; `status` is 0 when the API cannot be reached, `body`
 * null when the answer is not JSON.
 */
async function get(path, token) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
  } catch {
    return { status: 0, body: null };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // A non-JSON answer: the status tells enough.
  }
  return { status: response.status, body };
}

/** `GET /api/activities/home`: the public feed, one more item when `token` is valid. */
export const homeFeed = (token) => get("/api/activities/home", token);

/** `GET /api/me`: `{ sub, username, groups, scopes }` for a valid `token`, 401 otherwise. */
export const me = (token) => get("/api/me", token);

/**
 * `POST /api/signout` with `token`: the server revokes the token's session
 * (every server sharing its revocation list refuses the token from then
 * on). Resolves to the status: 204 when revoked, 0 when the API cannot be
 * reached. The token is sent in the Authorization header, never a cookie.
 */
export async function signOut(token) {
  try {
    const response = await fetch("/api/signout", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
      credentials: "omit",
    });
    return response.status;
  } catch {
    return 0;
  }
}

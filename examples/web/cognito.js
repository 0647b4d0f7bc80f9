// Cognito's user-pool API, called the way the AWS SDKs call it: a POST of
// JSON to the endpoint, the operation named in X-Amz-Target. Only the
// operations an app client may call without AWS credentials are here.

const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";

/** A refusal from Cognito: `code` is its exception name, e.g. "NotAuthorizedException". */
export class CognitoError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = "CognitoError";
    this.code = code;
  }
}

/**
 * A client for one app client of one user pool.
 * `endpoint`: e.g. https://cognito-idp.eu-west-1.amazonaws.com/ (here, cognito-local's URL).
 * `clientId`: an app client without a secret that allows USER_PASSWORD_AUTH.
 */
export function cognitoClient({ endpoint, clientId }) {
  async function call(operation, parameters) {
    let response;
    try {
      response = await fetch(endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": TARGET_PREFIX + operation,
        },
        body: JSON.stringify({ ClientId: clientId, ...parameters }),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new CognitoError("NetworkError", `Cannot reach Cognito at ${endpoint}.`);
    }
    const text = await response.text();
    let body = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // Not JSON (a proxy's error page, say): the status alone is reported.
    }
    if (!response.ok) {
      // "__type" may carry a namespace: "…#UserNotFoundException".
      const code = String(body.__type ?? `HTTP ${response.status}`).split("#").pop();
      throw new CognitoError(code, body.message ?? body.Message ?? "");
    }
    return body;
  }

  return {
    /** Resolves to SignUp's answer: `UserSub`, `UserConfirmed`, `CodeDeliveryDetails`. */
    signUp: (email, password) =>
      call("SignUp", {
        Username: email,
        Password: password,
        UserAttributes: [{ Name: "email", Value: email }],
      }),

    confirmSignUp: (email, code) =>
      call("ConfirmSignUp", { Username: email, ConfirmationCode: code }),

    /** Resolves to the tokens (`AccessToken`, `IdToken`, `RefreshToken`, `ExpiresIn`). */
    async signIn(email, password) {
      const answer = await call("InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        AuthParameters: { USERNAME: email, PASSWORD: password },
      });
      if (!answer.AuthenticationResult) {
        // MFA or a forced password change: steps this example does not implement.
        throw new CognitoError(
          "UnsupportedChallenge",
          `The pool asks for ${answer.ChallengeName ?? "another step"}, which this example does not handle.`,
        );
      }
      return answer.AuthenticationResult;
    },

    /** Resolves to `CodeDeliveryDetails`. */
    forgotPassword: (email) => call("ForgotPassword", { Username: email }),

    confirmForgotPassword: (email, code, password) =>
      call("ConfirmForgotPassword", {
        Username: email,
        ConfirmationCode: code,
        Password: password,
      }),
  };
}

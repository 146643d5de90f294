/** What the dashboard needs from the identity provider; Amplify in the app, a stub in tests. */

export type SignInOutcome =
  { kind: "done" } | { kind: "newPassword" } | { kind: "unsupported"; step: string };

export interface AuthBackend {
  /** The signed-in user's login name, or null. */
  currentUser(): Promise<string | null>;
  signIn(username: string, password: string): Promise<SignInOutcome>;
  confirmNewPassword(newPassword: string): Promise<SignInOutcome>;
  signOut(): Promise<void>;
  /** The current ID token, refreshed when needed; null when there is no session. */
  getToken(opts?: { forceRefresh?: boolean }): Promise<string | null>;
  /** Calls back when the session ends without the user signing out (refresh refused). Returns an unsubscribe. */
  onSessionLost(listener: (message: string) => void): () => void;
}

/** People-readable reasons for a failed sign-in. */
export function signInErrorMessage(
  error: unknown,
  phase: "signIn" | "newPassword" = "signIn",
): string {
  const name = (error as { name?: string })?.name ?? "";
  const message = (error as { message?: string })?.message ?? String(error);
  switch (name) {
    case "NotAuthorizedException":
      if (/disabled/i.test(message)) return "This account is disabled. Ask an administrator.";
      if (/attempts exceeded/i.test(message))
        return "Too many failed attempts. Wait a while and try again.";
      return "Incorrect email or password.";
    case "InvalidPasswordException":
      // cognito-local answers a wrong password with this; Cognito uses it for password policy failures.
      return phase === "newPassword"
        ? `The new password does not meet the policy: ${message}`
        : "Incorrect email or password.";
    case "UserNotFoundException":
      return "Incorrect email or password.";
    case "PasswordResetRequiredException":
      return "Your password must be reset. Ask an administrator.";
    case "UserNotConfirmedException":
      return "This account is not confirmed yet. Ask an administrator.";
    case "TooManyRequestsException":
    case "LimitExceededException":
      return "Too many attempts. Wait a minute and try again.";
    case "EmptySignInUsername":
    case "EmptySignInPassword":
      return "Enter your email and password.";
    case "NetworkError":
      return "Could not reach the sign-in service. Check your connection and try again.";
    default:
      return message || "Sign-in failed.";
  }
}

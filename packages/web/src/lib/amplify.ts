import { Amplify } from "aws-amplify";
import { confirmSignIn, fetchAuthSession, getCurrentUser, signIn, signOut } from "aws-amplify/auth";
import { Hub } from "aws-amplify/utils";
import type { DashboardConfig } from "./config";
import type { AuthBackend, SignInOutcome } from "./auth-backend";

let configuredFor: string | undefined;

/** Configures Amplify once per settings (idempotent, safe under React strict mode). */
export function configureAmplify(config: DashboardConfig): void {
  const key = JSON.stringify([config.userPoolId, config.userPoolClientId, config.cognitoEndpoint]);
  if (configuredFor === key) return;
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.userPoolClientId,
        ...(config.cognitoEndpoint ? { userPoolEndpoint: config.cognitoEndpoint } : {}),
      },
    },
  });
  configuredFor = key;
}

function outcome(step: string): SignInOutcome {
  if (step === "DONE") return { kind: "done" };
  if (step === "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED") return { kind: "newPassword" };
  return { kind: "unsupported", step };
}

/** The Cognito user pool through Amplify v6. USER_PASSWORD_AUTH: works on Cognito and on cognito-local (SRP does not). */
export const amplifyBackend: AuthBackend = {
  async currentUser() {
    try {
      const user = await getCurrentUser();
      return user.signInDetails?.loginId ?? user.username;
    } catch {
      return null;
    }
  },
  async signIn(username, password) {
    try {
      const res = await signIn({
        username,
        password,
        options: { authFlowType: "USER_PASSWORD_AUTH" },
      });
      return outcome(res.nextStep.signInStep);
    } catch (err) {
      if ((err as Error)?.name === "UserAlreadyAuthenticatedException") {
        await signOut();
        const res = await signIn({
          username,
          password,
          options: { authFlowType: "USER_PASSWORD_AUTH" },
        });
        return outcome(res.nextStep.signInStep);
      }
      throw err;
    }
  },
  async confirmNewPassword(newPassword) {
    const res = await confirmSignIn({ challengeResponse: newPassword });
    return outcome(res.nextStep.signInStep);
  },
  async signOut() {
    await signOut();
  },
  async getToken(opts) {
    // Amplify refreshes the tokens here when they are about to expire (silent session refresh).
    const session = await fetchAuthSession({ forceRefresh: opts?.forceRefresh ?? false });
    return session.tokens?.idToken?.toString() ?? null;
  },
  onSessionLost(listener) {
    return Hub.listen("auth", ({ payload }) => {
      if (payload.event !== "tokenRefresh_failure") return;
      const error = (payload as { data?: { error?: { name?: string } } }).data?.error;
      // A network failure leaves the tokens in place: the session may still be fine later.
      if (error?.name === "NetworkError") return;
      listener("Your session could not be renewed. Please sign in again.");
    });
  },
};

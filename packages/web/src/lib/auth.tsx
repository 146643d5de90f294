"use client";

import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from "react";
import { signInErrorMessage, type AuthBackend, type SignInOutcome } from "./auth-backend";

export type AuthStatus =
  | { status: "loading" }
  | { status: "signedOut"; notice?: string }
  | { status: "newPassword"; username: string }
  | { status: "signedIn"; username: string };

export interface AuthContextValue {
  state: AuthStatus;
  /** Resolves with an error message for the form, or null on success. */
  signIn(username: string, password: string): Promise<string | null>;
  confirmNewPassword(newPassword: string): Promise<string | null>;
  signOut(): Promise<void>;
  /** Ends the session because the API or the identity provider refused it; shows `message` on the sign-in page. */
  expire(message: string): void;
  getToken: AuthBackend["getToken"];
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside <AuthProvider>");
  return value;
}

export function AuthProvider({ backend, children }: { backend: AuthBackend; children: ReactNode }) {
  const [state, setState] = useState<AuthStatus>({ status: "loading" });
  const pendingUser = useRef<string>("");

  useEffect(() => {
    let alive = true;
    void (async () => {
      const user = await backend.currentUser();
      if (!alive) return;
      if (!user) {
        setState({ status: "signedOut" });
        return;
      }
      // A stored session may be past refreshing (refresh token expired or revoked): check it now.
      try {
        const token = await backend.getToken();
        if (!alive) return;
        setState(
          token
            ? { status: "signedIn", username: user }
            : { status: "signedOut", notice: "Your session has expired. Please sign in again." },
        );
      } catch {
        // identity provider unreachable: keep the session, the API calls will retry
        if (alive) setState({ status: "signedIn", username: user });
      }
    })();
    return () => {
      alive = false;
    };
  }, [backend]);

  const expire = useCallback(
    (message: string) => {
      setState((s) => (s.status === "signedOut" ? s : { status: "signedOut", notice: message }));
      void backend.signOut().catch(() => undefined);
    },
    [backend],
  );

  useEffect(() => backend.onSessionLost(expire), [backend, expire]);

  const getToken = useCallback<AuthBackend["getToken"]>(
    (opts) => backend.getToken(opts),
    [backend],
  );

  const settle = useCallback(
    async (outcome: SignInOutcome, username: string): Promise<string | null> => {
      if (outcome.kind === "done") {
        const user = (await backend.currentUser()) ?? username;
        setState({ status: "signedIn", username: user });
        return null;
      }
      if (outcome.kind === "newPassword") {
        pendingUser.current = username;
        setState({ status: "newPassword", username });
        return null;
      }
      await backend.signOut().catch(() => undefined);
      setState({ status: "signedOut" });
      return `This account needs a sign-in step the dashboard does not support (${outcome.step}). Ask an administrator.`;
    },
    [backend],
  );

  const value = useMemo<AuthContextValue>(
    () => ({
      state,
      async signIn(username, password) {
        if (!username.trim() || !password) return "Enter your email and password.";
        try {
          return await settle(await backend.signIn(username.trim(), password), username.trim());
        } catch (err) {
          return signInErrorMessage(err, "signIn");
        }
      },
      async confirmNewPassword(newPassword) {
        if (!newPassword) return "Enter a new password.";
        try {
          return await settle(await backend.confirmNewPassword(newPassword), pendingUser.current);
        } catch (err) {
          return signInErrorMessage(err, "newPassword");
        }
      },
      async signOut() {
        await backend.signOut().catch(() => undefined);
        setState({ status: "signedOut", notice: "You have signed out." });
      },
      expire,
      getToken,
    }),
    [state, backend, settle, expire, getToken],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

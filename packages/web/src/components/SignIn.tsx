"use client";

import { useEffect, useRef, useState, type FormEvent, type InputHTMLAttributes } from "react";
import { useAuth } from "../lib/auth";

/** A required input with its label above it. */
function Field({
  label,
  testId,
  ...input
}: { label: string; testId: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="field">
      <span>{label}</span>
      <input required {...input} data-testid={testId} />
    </label>
  );
}

/** Sign-in with the Cognito user pool. No sign-up: administrators add users. */
export function SignIn() {
  const auth = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errorRef = useRef<HTMLParagraphElement>(null);
  const newPassword = auth.state.status === "newPassword";
  const notice = auth.state.status === "signedOut" ? auth.state.notice : undefined;

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    const message = newPassword
      ? await auth.confirmNewPassword(String(form.get("newPassword") ?? ""))
      : await auth.signIn(String(form.get("username") ?? ""), String(form.get("password") ?? ""));
    setBusy(false);
    setError(message);
  }

  return (
    <main className="centered">
      <form
        className="card signin"
        onSubmit={onSubmit}
        aria-labelledby="signin-title"
        data-testid="signin-form"
        noValidate
      >
        <h1 id="signin-title" className="brand">
          Tickstream
        </h1>
        <p className="muted">
          {newPassword
            ? "Choose a new password to finish signing in."
            : "Sign in to watch live prices."}
        </p>

        {notice && !error && (
          <p className="notice" role="status" data-testid="signin-notice">
            {notice}
          </p>
        )}

        {newPassword ? (
          <Field
            label="New password"
            name="newPassword"
            type="password"
            autoComplete="new-password"
            autoFocus
            testId="new-password"
          />
        ) : (
          <>
            <Field
              label="Email"
              name="username"
              type="email"
              autoComplete="username"
              inputMode="email"
              autoFocus
              testId="username"
            />
            <Field
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              testId="password"
            />
          </>
        )}

        <div aria-live="assertive" className="form-error-slot">
          {error && (
            <p
              className="form-error"
              role="alert"
              tabIndex={-1}
              ref={errorRef}
              data-testid="signin-error"
            >
              {error}
            </p>
          )}
        </div>

        <button
          type="submit"
          className="primary"
          disabled={busy}
          aria-busy={busy}
          data-testid="signin-submit"
        >
          {busy ? "Signing in…" : newPassword ? "Set password and sign in" : "Sign in"}
        </button>
        <p className="muted small">Accounts are created by an administrator.</p>
      </form>
    </main>
  );
}

// @vitest-environment jsdom
import "../test/jsx";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuthBackend } from "../lib/auth-backend";
import { AuthProvider, useAuth } from "../lib/auth";
import { SignIn } from "./SignIn";

function stubBackend(overrides: Partial<AuthBackend> = {}) {
  let user: string | null = null;
  let lost: ((m: string) => void) | undefined;
  const backend: AuthBackend = {
    currentUser: vi.fn(async () => user),
    signIn: vi.fn(async (username: string, password: string) => {
      if (password !== "right")
        throw Object.assign(new Error("Incorrect username or password."), {
          name: "InvalidPasswordException",
        });
      user = username;
      return { kind: "done" as const };
    }),
    confirmNewPassword: vi.fn(async () => ({ kind: "done" as const })),
    signOut: vi.fn(async () => {
      user = null;
    }),
    getToken: vi.fn(async () => (user ? "token" : null)),
    onSessionLost: (l) => {
      lost = l;
      return () => (lost = undefined);
    },
    ...overrides,
  };
  return { backend, loseSession: (m: string) => lost?.(m) };
}

function Gate() {
  const auth = useAuth();
  if (auth.state.status === "loading") return <p>loading</p>;
  if (auth.state.status === "signedIn")
    return (
      <p>
        signed in as {auth.state.username} <button onClick={() => void auth.signOut()}>out</button>
      </p>
    );
  return <SignIn />;
}

function fill(username: string, password: string) {
  fireEvent.change(screen.getByTestId("username"), { target: { value: username } });
  fireEvent.change(screen.getByTestId("password"), { target: { value: password } });
  fireEvent.submit(screen.getByTestId("signin-form"));
}

/** Renders the page with a stub user pool. */
function renderGate(overrides: Partial<AuthBackend> = {}) {
  const stub = stubBackend(overrides);
  const { unmount } = render(
    <AuthProvider backend={stub.backend}>
      <Gate />
    </AuthProvider>,
  );
  return { ...stub, unmount };
}

/** Renders the page signed out and waits for the sign-in form. */
async function openSignIn(overrides: Partial<AuthBackend> = {}) {
  const stub = renderGate(overrides);
  await screen.findByTestId("signin-form");
  return stub;
}

afterEach(cleanup);

describe("sign-in", () => {
  it("shows an error for a wrong password, then signs in with the right one", async () => {
    const { backend } = await openSignIn();
    expect(screen.queryByText(/sign up|create account/i)).toBeNull();

    fill("demo@example.com", "wrong");
    const error = await screen.findByTestId("signin-error");
    expect(error.textContent).toBe("Incorrect email or password.");
    expect(error.getAttribute("role")).toBe("alert");

    fill("demo@example.com", "right");
    await screen.findByText(/signed in as demo@example.com/);
    expect(backend.signIn).toHaveBeenLastCalledWith("demo@example.com", "right");
  });

  it("asks for both fields before calling the user pool", async () => {
    const { backend } = await openSignIn();
    fill("", "");
    expect((await screen.findByTestId("signin-error")).textContent).toMatch(
      /Enter your email and password/,
    );
    expect(backend.signIn).not.toHaveBeenCalled();
  });

  it("returns to sign-in with a message when the session is lost", async () => {
    const { backend, loseSession } = await openSignIn();
    fill("demo@example.com", "right");
    await screen.findByText(/signed in as/);
    act(() => loseSession("Your session could not be renewed. Please sign in again."));
    expect((await screen.findByTestId("signin-notice")).textContent).toMatch(
      /could not be renewed/,
    );
    await waitFor(() => expect(backend.signOut).toHaveBeenCalled());
  });

  it("walks a user with a temporary password through choosing a new one", async () => {
    const { backend } = await openSignIn({
      signIn: vi.fn(async () => ({ kind: "newPassword" as const })),
    });
    fill("new@example.com", "temporary");
    fireEvent.change(await screen.findByTestId("new-password"), {
      target: { value: "Str0ng!Password" },
    });
    fireEvent.submit(screen.getByTestId("signin-form"));
    await screen.findByText(/signed in as new@example.com/);
    expect(backend.confirmNewPassword).toHaveBeenCalledWith("Str0ng!Password");
  });

  it("starts signed in when a stored session is still valid, and signed out when it cannot be refreshed", async () => {
    const { unmount } = renderGate({
      currentUser: async () => "kept@example.com",
      getToken: async () => "token",
    });
    await screen.findByText(/signed in as kept@example.com/);
    unmount();

    renderGate({
      currentUser: async () => "old@example.com",
      getToken: async () => null,
    });
    expect((await screen.findByTestId("signin-notice")).textContent).toMatch(/expired/);
  });
});

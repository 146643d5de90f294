"use client";

import { useMemo } from "react";
import { createApiClient } from "../lib/api";
import { configureAmplify, amplifyBackend } from "../lib/amplify";
import { AuthProvider, useAuth } from "../lib/auth";
import { parseConfig, rawConfigFromEnv, type DashboardConfig } from "../lib/config";
import { DataProvider, type DataSettings } from "../lib/data";
import { ConfigMissing } from "./ConfigMissing";
import { Dashboard } from "./Dashboard";
import { SignIn } from "./SignIn";

export function App() {
  const result = useMemo(() => parseConfig(rawConfigFromEnv()), []);
  if (!result.ok) return <ConfigMissing problems={result.problems} />;
  return <Configured config={result.config} />;
}

function Configured({ config }: { config: DashboardConfig }) {
  // Idempotent; must run before the first Amplify call below.
  configureAmplify(config);
  return (
    <AuthProvider backend={amplifyBackend}>
      <Gate config={config} />
    </AuthProvider>
  );
}

function Gate({ config }: { config: DashboardConfig }) {
  const auth = useAuth();
  const { getToken, expire } = auth;
  const settings = useMemo<DataSettings>(
    () => ({
      api: createApiClient({ baseUrl: config.apiUrl, getToken }),
      windowMs: config.windowSizeMs,
      paneMs: config.paneMs,
      now: Date.now,
    }),
    [config, getToken],
  );

  switch (auth.state.status) {
    case "loading":
      return (
        <main className="splash" aria-busy="true" data-testid="auth-loading">
          <p>Tickstream</p>
        </main>
      );
    case "signedIn":
      // A new provider per session: nothing of a previous user's data survives a sign-out.
      return (
        <DataProvider key={auth.state.username} settings={settings} onSessionExpired={expire}>
          <Dashboard username={auth.state.username} region={config.region} />
        </DataProvider>
      );
    default:
      return <SignIn />;
  }
}

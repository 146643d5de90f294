"use client";

import { useState } from "react";
import { describeError } from "../lib/polling";
import { formatAge } from "../lib/format";

/**
 * Shown while the API fails. It lives inside a live region that is always in the page, so screen
 * readers announce it when it appears.
 */
export function ErrorBanner({
  error,
  attempts,
  lastSuccessAt,
  now,
  onRetry,
  testId = "api-error",
  title = "Cannot load prices.",
  overlay = false,
}: {
  error: unknown;
  attempts: number;
  lastSuccessAt: number | undefined;
  now: number;
  onRetry: () => Promise<unknown>;
  testId?: string;
  title?: string;
  /** Float over the content (the chart) instead of pushing it down. */
  overlay?: boolean;
}) {
  const [retrying, setRetrying] = useState(false);
  return (
    <div aria-live="assertive" className={overlay ? "live-slot overlay" : "live-slot"}>
      {error !== null && error !== undefined && (
        <div className="banner error" role="alert" data-testid={testId}>
          <div>
            <strong>{title}</strong> {describeError(error)}{" "}
            <span className="muted">
              {lastSuccessAt ? `Showing data from ${formatAge(now - lastSuccessAt)}. ` : ""}
              Retrying automatically{attempts > 1 ? ` (attempt ${attempts})` : ""}.
            </span>
          </div>
          <button
            type="button"
            className="secondary"
            disabled={retrying}
            data-testid={`${testId}-retry`}
            onClick={async () => {
              setRetrying(true);
              try {
                await onRetry();
              } finally {
                setRetrying(false);
              }
            }}
          >
            {retrying ? "Retrying…" : "Retry now"}
          </button>
        </div>
      )}
    </div>
  );
}

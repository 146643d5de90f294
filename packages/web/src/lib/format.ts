/** Display formatting. Prices are handled as integer cents so that no float drift reaches the screen. */

/** Decimal price from the API (e.g. 123.45) to integer cents (12345). */
export function toCents(price: number): number {
  return Math.round(price * 100);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** 12345 -> "123.45"; 123456789 -> "1,234,567.89"; -5 -> "-0.05"; withSign adds "+" to positives. */
export function formatCents(cents: number, opts: { withSign?: boolean } = {}): string {
  if (!Number.isFinite(cents)) return "—";
  const c = Math.round(cents);
  const abs = Math.abs(c);
  const units = groupThousands(Math.floor(abs / 100).toString());
  const frac = (abs % 100).toString().padStart(2, "0");
  const sign = c < 0 ? "-" : opts.withSign && c > 0 ? "+" : "";
  return `${sign}${units}.${frac}`;
}

export function formatPrice(price: number | undefined | null): string {
  if (price === undefined || price === null || !Number.isFinite(price)) return "—";
  return formatCents(toCents(price));
}

export type Direction = "up" | "down" | "flat" | "none";

export interface Change {
  direction: Direction;
  /** ▲, ▼, ▬, or "" when there is no previous tick to compare with. */
  arrow: string;
  /** "+1.23", "-0.40", "0.00", or "" */
  delta: string;
  /** "+0.50%", or "" when not computable */
  percent: string;
  /** Words for screen readers: "up 1.23 (0.50%)", "unchanged", "no previous tick". */
  label: string;
}

/** Change of the latest tick against the previous one, both in cents. */
export function describeChange(currentCents: number, previousCents: number | undefined): Change {
  if (
    previousCents === undefined ||
    !Number.isFinite(previousCents) ||
    !Number.isFinite(currentCents)
  ) {
    return { direction: "none", arrow: "", delta: "", percent: "", label: "no previous tick" };
  }
  const diff = currentCents - previousCents;
  const direction: Direction = diff > 0 ? "up" : diff < 0 ? "down" : "flat";
  const arrow = direction === "up" ? "▲" : direction === "down" ? "▼" : "▬";
  const delta = formatCents(diff, { withSign: true });
  let percent = "";
  if (previousCents !== 0) {
    // basis points, rounded half away from zero, to keep the percentage exact to two decimals
    const bp = Math.round((Math.abs(diff) * 10_000) / Math.abs(previousCents));
    const signed = diff < 0 ? -bp : bp;
    percent = `${formatCents(signed, { withSign: true })}%`;
  }
  const absDelta = formatCents(Math.abs(diff));
  const absPercent = percent.replace(/^[+-]/, "");
  const label =
    direction === "flat"
      ? "unchanged"
      : `${direction} ${absDelta}${absPercent ? ` (${absPercent})` : ""}`;
  return { direction, arrow, delta, percent, label };
}

/** Age of data: "just now", "2 s ago", "3 min ago", "5 h ago", "2 d ago". Future times count as "just now". */
export function formatAge(ageMs: number): string {
  if (!Number.isFinite(ageMs)) return "—";
  if (ageMs < 1000) return "just now";
  const s = Math.floor(ageMs / 1000);
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const shortClockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** Local wall-clock time, "14:03:07". */
export function formatClock(epochMs: number): string {
  return clockFormat.format(new Date(epochMs));
}

/** Local wall-clock time without seconds, "14:03", for axis labels of long ranges. */
export function formatShortClock(epochMs: number): string {
  return shortClockFormat.format(new Date(epochMs));
}

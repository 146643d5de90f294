/**
 * The instruments a user has starred, kept in the browser (localStorage), one list per signed-in
 * username, in the order they were added.
 */

export const WATCHLIST_PREFIX = "tickstream.watchlist.";

export function watchlistKey(username: string): string {
  return `${WATCHLIST_PREFIX}${username}`;
}

/** The stored text to a list; anything that is not a list of strings counts as an empty list. */
export function parseWatchlist(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const value: unknown = JSON.parse(raw);
    if (!Array.isArray(value)) return [];
    return [...new Set(value.filter((v): v is string => typeof v === "string" && v !== ""))];
  } catch {
    return [];
  }
}

export function toggleInstrument(list: readonly string[], instrument: string): string[] {
  return list.includes(instrument) ? list.filter((i) => i !== instrument) : [...list, instrument];
}

/** The stored text, or null where storage is unavailable (blocked cookies, some private modes). */
export function readStored(storage: Storage | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** false when the browser refused to store (quota, blocked storage): the list then lasts the page. */
export function writeStored(
  storage: Storage | undefined,
  key: string,
  list: readonly string[],
): boolean {
  try {
    if (!storage) return false;
    if (list.length === 0) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify(list));
    return true;
  } catch {
    return false;
  }
}

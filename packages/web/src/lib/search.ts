import type { InstrumentView } from "./ticks";

export type ListFilter = "all" | "watchlist";

export interface SearchOptions {
  query: string;
  filter: ListFilter;
  watchlist: ReadonlySet<string>;
}

/**
 * The instruments to list: those whose id contains the query (ignoring case and surrounding
 * blanks), only starred ones under the watchlist filter. An exact match comes first, then ids
 * that start with the query, then the rest; each group keeps the list's order.
 */
export function filterInstruments(
  list: readonly InstrumentView[],
  { query, filter, watchlist }: SearchOptions,
): InstrumentView[] {
  const q = query.trim().toLowerCase();
  const starred = filter === "watchlist";
  if (!q && !starred) return list as InstrumentView[];
  const exact: InstrumentView[] = [];
  const prefix: InstrumentView[] = [];
  const inner: InstrumentView[] = [];
  for (const view of list) {
    if (starred && !watchlist.has(view.instrument)) continue;
    if (!q) {
      inner.push(view);
      continue;
    }
    const id = view.instrument.toLowerCase();
    if (id === q) exact.push(view);
    else if (id.startsWith(q)) prefix.push(view);
    else if (id.includes(q)) inner.push(view);
  }
  return [...exact, ...prefix, ...inner];
}

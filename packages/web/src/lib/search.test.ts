import { describe, expect, it } from "vitest";
import { filterInstruments } from "./search";
import type { InstrumentView } from "./ticks";

const view = (instrument: string): InstrumentView => ({
  instrument,
  current: { instrument, price: 1, prices: [1], level: 1, eventTime: 0, receivedAt: 0 },
  currentCents: 100,
  seenAt: 0,
});
const ids = (list: InstrumentView[]) => list.map((v) => v.instrument);
const LIST = ["AAPL", "AMZN", "GOOGL", "MSFT", "PLAPL", "aap", "1", "10", "101", "210"].map(view);
const none = new Set<string>();

describe("instrument search", () => {
  it("without a query or filter lists everything, in the list's order", () => {
    const all = filterInstruments(LIST, { query: "", filter: "all", watchlist: none });
    expect(ids(all)).toEqual(ids(LIST));
    expect(ids(filterInstruments(LIST, { query: "   ", filter: "all", watchlist: none }))).toEqual(
      ids(LIST),
    );
  });

  it("matches anywhere in the id, ignoring case and blanks: exact first, then prefixes", () => {
    expect(
      ids(filterInstruments(LIST, { query: " aap ", filter: "all", watchlist: none })),
    ).toEqual(["aap", "AAPL"]);
    expect(ids(filterInstruments(LIST, { query: "apl", filter: "all", watchlist: none }))).toEqual([
      "AAPL",
      "PLAPL",
    ]);
    expect(ids(filterInstruments(LIST, { query: "10", filter: "all", watchlist: none }))).toEqual([
      "10",
      "101",
      "210",
    ]);
    expect(filterInstruments(LIST, { query: "zzz", filter: "all", watchlist: none })).toEqual([]);
  });

  it("under the watchlist filter keeps starred instruments only, and still searches them", () => {
    const watchlist = new Set(["MSFT", "101", "10", "gone"]);
    expect(ids(filterInstruments(LIST, { query: "", filter: "watchlist", watchlist }))).toEqual([
      "MSFT",
      "10",
      "101",
    ]);
    expect(ids(filterInstruments(LIST, { query: "1", filter: "watchlist", watchlist }))).toEqual([
      "10",
      "101",
    ]);
  });
});

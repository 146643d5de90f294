// @vitest-environment jsdom
import "../test/jsx";
import { act, cleanup, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseWatchlist, watchlistKey } from "../lib/watchlist";
import { useWatchlist } from "./useWatchlist";

afterEach(() => {
  cleanup();
  localStorage.clear();
  vi.restoreAllMocks();
});

describe("watchlist", () => {
  it("persists across a reload, per signed-in user", () => {
    const first = renderHook(() => useWatchlist("ann@example.com"));
    expect(first.result.current.list).toEqual([]);
    act(() => first.result.current.toggle("AAPL"));
    act(() => first.result.current.toggle("101"));
    expect(first.result.current.list).toEqual(["AAPL", "101"]);
    expect(first.result.current.watched.has("101")).toBe(true);
    first.unmount();

    // a new page: only storage remains
    const again = renderHook(() => useWatchlist("ann@example.com"));
    expect(again.result.current.list).toEqual(["AAPL", "101"]);
    act(() => again.result.current.toggle("AAPL"));
    expect(again.result.current.list).toEqual(["101"]);
    expect(JSON.parse(localStorage.getItem(watchlistKey("ann@example.com"))!)).toEqual(["101"]);

    const other = renderHook(() => useWatchlist("bob@example.com"));
    expect(other.result.current.list).toEqual([]);
  });

  it("follows changes made in another tab", () => {
    const { result } = renderHook(() => useWatchlist("ann@example.com"));
    act(() => {
      localStorage.setItem(watchlistKey("ann@example.com"), JSON.stringify(["MSFT"]));
      window.dispatchEvent(new StorageEvent("storage", { key: watchlistKey("ann@example.com") }));
    });
    expect(result.current.list).toEqual(["MSFT"]);
  });

  it("treats damaged storage as empty and keeps working where storage refuses writes", () => {
    localStorage.setItem(watchlistKey("ann@example.com"), "{not json");
    const { result } = renderHook(() => useWatchlist("ann@example.com"));
    expect(result.current.list).toEqual([]);

    vi.spyOn(Storage.prototype, "setItem").mockImplementation(() => {
      throw new DOMException("quota", "QuotaExceededError");
    });
    act(() => result.current.toggle("AAPL"));
    expect(result.current.list).toEqual(["AAPL"]);
  });

  it("reads only lists of ids", () => {
    expect(parseWatchlist(null)).toEqual([]);
    expect(parseWatchlist('{"a":1}')).toEqual([]);
    expect(parseWatchlist('["A", 3, "", "B", "A"]')).toEqual(["A", "B"]);
  });
});

// @vitest-environment jsdom
import "../test/jsx";
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useWatchlist } from "../hooks/useWatchlist";
import { createApiClient } from "../lib/api";
import { DataProvider, createQueryClient } from "../lib/data";
import type { InstrumentView } from "../lib/ticks";
import { stubListViewport } from "../test/layout";
import { InstrumentList, ROW_PX } from "./InstrumentList";

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);
const VIEWPORT_PX = 500;
const N = 10_000;
const IDS = Array.from({ length: N }, (_, i) => String(i + 1));
const view = (instrument: string, i: number): InstrumentView => ({
  instrument,
  current: {
    instrument,
    price: 100 + i / 100,
    prices: [],
    level: 1,
    eventTime: NOW,
    receivedAt: NOW,
  },
  currentCents: 10_000 + i,
  seenAt: NOW,
});
const LIST = IDS.map(view);

function Harness({ list }: { list: InstrumentView[] }) {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const watchlist = useWatchlist("ann@example.com");
  return (
    <InstrumentList
      list={list}
      selected={selected}
      onSelect={setSelected}
      now={NOW}
      loadFailed={false}
      watchlist={watchlist}
      selectedHistoryMs={60_000}
    />
  );
}

function renderList(list = LIST) {
  const api = createApiClient({
    baseUrl: "http://api.test",
    getToken: async () => "token",
    fetch: (async () => new Response("[]")) as unknown as typeof fetch,
  });
  return render(
    <DataProvider
      settings={{ api, windowMs: 60_000, paneMs: 10_000, now: () => NOW }}
      onSessionExpired={() => undefined}
      client={createQueryClient(() => undefined)}
    >
      <Harness list={list} />
    </DataProvider>,
  );
}

const rows = () =>
  screen.queryAllByRole("button", { pressed: false }).filter((b) => b.dataset.instrument);
const renderedIds = () =>
  Array.from(document.querySelectorAll<HTMLElement>("button[data-instrument]")).map(
    (b) => b.dataset.instrument!,
  );

let unstub: () => void;
beforeEach(() => {
  unstub = stubListViewport(VIEWPORT_PX);
});
afterEach(() => {
  cleanup();
  unstub();
  localStorage.clear();
});

describe("instrument list", () => {
  it("with 10,000 instruments puts only the rows in view (and a few more) in the page", () => {
    renderList();
    const ids = renderedIds();
    const visible = Math.ceil(VIEWPORT_PX / ROW_PX.wide);
    expect(ids.length).toBeGreaterThanOrEqual(visible);
    expect(ids.length).toBeLessThan(visible + 20);
    expect(ids[0]).toBe("1");
    const items = screen.getByTestId("instrument-list").querySelectorAll("li");
    expect(items[0]!.getAttribute("aria-setsize")).toBe(String(N));
    expect(items[0]!.getAttribute("aria-posinset")).toBe("1");
    // the list is as tall as all rows, so the scroll bar is true to the whole list
    expect(screen.getByTestId("instrument-list").style.height).toBe(`${N * ROW_PX.wide}px`);
    expect(screen.getByTestId("instrument-count").textContent).toBe("10000 instruments");
  });

  it("scrolling far down shows the rows there, and no others", () => {
    renderList();
    const scroller = screen.getByTestId("instrument-scroll");
    act(() => {
      scroller.scrollTop = 5000 * ROW_PX.wide;
      fireEvent.scroll(scroller);
    });
    const ids = renderedIds().map(Number);
    expect(ids).toContain(5001);
    expect(ids).toContain(5005);
    expect(ids).not.toContain(1);
    expect(Math.max(...ids) - Math.min(...ids)).toBeLessThan(40);
    const row = screen.getByTestId("instrument-5001");
    expect(row.closest("li")!.getAttribute("aria-posinset")).toBe("5001");
  });

  it("the arrow keys, Home and End move through the whole list", async () => {
    renderList();
    const key = async (k: string) => {
      await act(async () => {
        fireEvent.keyDown(document.activeElement!, { key: k });
      });
    };
    screen.getByTestId("instrument-1").focus();
    await key("ArrowDown");
    expect(document.activeElement).toBe(screen.getByTestId("instrument-2"));
    await key("End");
    expect(document.activeElement).toBe(screen.getByTestId(`instrument-${N}`));
    expect(renderedIds()).not.toContain("1");
    await key("ArrowUp");
    expect(document.activeElement).toBe(screen.getByTestId(`instrument-${N - 1}`));
    await key("Home");
    expect(document.activeElement).toBe(screen.getByTestId("instrument-1"));
  });

  it("search narrows the list as the user types", () => {
    renderList();
    const search = screen.getByRole("searchbox", { name: "Search instruments" });
    fireEvent.change(search, { target: { value: "999" } });
    const expected = IDS.filter((id) => id.includes("999"));
    expect(screen.getByTestId("instrument-count").textContent).toBe(
      `${expected.length} of ${N} instruments`,
    );
    const ids = renderedIds();
    expect(ids[0]).toBe("999");
    for (const id of ids) expect(id).toContain("999");

    fireEvent.change(search, { target: { value: "no such" } });
    expect(screen.getByTestId("instruments-no-match").textContent).toMatch(/No instrument matches/);
    expect(renderedIds()).toEqual([]);
  });

  it("a star adds to the watchlist, which outlives the page and filters the list", () => {
    const first = renderList();
    const star = screen.getByTestId("watch-3");
    expect(star.getAttribute("aria-pressed")).toBe("false");
    expect(star.getAttribute("aria-label")).toBe("Watch 3");
    fireEvent.click(star);
    fireEvent.click(screen.getByTestId("watch-7"));
    expect(star.getAttribute("aria-pressed")).toBe("true");
    first.unmount();

    renderList();
    expect(screen.getByTestId("watch-3").getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByTestId("watch-4").getAttribute("aria-pressed")).toBe("false");
    fireEvent.click(screen.getByTestId("show-watchlist"));
    expect(renderedIds()).toEqual(["3", "7"]);
    expect(within(screen.getByTestId("show-watchlist")).getByText("2")).toBeTruthy();
    fireEvent.click(screen.getByTestId("watch-3"));
    expect(renderedIds()).toEqual(["7"]);
    fireEvent.click(screen.getByTestId("show-all"));
    expect(renderedIds().length).toBeGreaterThan(2);
  });

  it("selects with a click", () => {
    renderList(LIST.slice(0, 5));
    expect(rows()).toHaveLength(5);
    fireEvent.click(screen.getByTestId("instrument-4"));
    expect(screen.getByTestId("instrument-4").getAttribute("aria-pressed")).toBe("true");
  });
});

// jsdom lays nothing out: every element measures 0 px, so a virtualized list shows no rows in a
// scroll box of no height; nor does anything scroll. Tests give the instrument list's scroll box
// the height a browser would, a content height (the list's own, which the virtualizer sets), and
// a scrollTo that moves scrollTop within bounds and reports the scroll afterwards, as browsers do.

const isScrollBox = (el: HTMLElement) => el.dataset.testid === "instrument-scroll";
const contentHeight = (el: HTMLElement) =>
  parseFloat((el.firstElementChild as HTMLElement | null)?.style.height ?? "") || 0;

/** Makes the instrument list's scroll box `heightPx` tall and scrollable; returns the undo. */
export function stubListViewport(heightPx: number): () => void {
  const proto = HTMLElement.prototype as HTMLElement & { scrollTo: unknown };
  const hadScrollTo = Object.prototype.hasOwnProperty.call(proto, "scrollTo");
  const scrollTo = proto.scrollTo;
  Object.defineProperty(proto, "clientHeight", {
    configurable: true,
    get(this: HTMLElement) {
      return isScrollBox(this) ? heightPx : 0;
    },
  });
  Object.defineProperty(proto, "scrollHeight", {
    configurable: true,
    get(this: HTMLElement) {
      return isScrollBox(this) ? Math.max(contentHeight(this), heightPx) : 0;
    },
  });
  proto.scrollTo = function (this: HTMLElement, options?: ScrollToOptions | number) {
    const top = typeof options === "object" ? options.top : undefined;
    if (top === undefined) return;
    this.scrollTop = Math.max(0, Math.min(top, this.scrollHeight - this.clientHeight));
    queueMicrotask(() => this.dispatchEvent(new Event("scroll")));
  };
  return () => {
    delete (proto as { clientHeight?: number }).clientHeight;
    delete (proto as { scrollHeight?: number }).scrollHeight;
    if (hadScrollTo) proto.scrollTo = scrollTo;
    else delete (proto as { scrollTo?: unknown }).scrollTo;
  };
}

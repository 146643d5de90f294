/**
 * The change signal of a value kept outside React (the address bar, localStorage), for
 * `useSyncExternalStore`: this tab's own writes call `notify`; `event` on window reports the
 * changes made elsewhere (the back button, another tab).
 */
export function changeSignal(event: "popstate" | "storage") {
  const listeners = new Set<() => void>();
  return {
    subscribe(onChange: () => void): () => void {
      listeners.add(onChange);
      window.addEventListener(event, onChange);
      return () => {
        listeners.delete(onChange);
        window.removeEventListener(event, onChange);
      };
    },
    notify(): void {
      for (const listener of listeners) listener();
    },
  };
}

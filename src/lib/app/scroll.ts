/** Where a list was scrolled to: the page offset, and the first item in view with its distance from the top. */
export interface ScrollPlace {
  y: number;
  /** The `data-place` of the first element marked with it that was in view. */
  place?: string;
  top?: number;
}

/** Where the page is scrolled to now, by the first `[data-place]` element in view. */
export function captureScroll(): ScrollPlace {
  const y = window.scrollY;
  for (const el of document.querySelectorAll<HTMLElement>('[data-place]')) {
    const { top, bottom } = el.getBoundingClientRect();
    if (bottom > 0 && top < window.innerHeight) return { y, place: el.dataset.place, top };
  }
  return { y };
}

/**
 * Scrolls back to `saved` while the page fills in: a page whose lists load after it appears is too
 * short, or laid out differently, when the browser restores its scroll position on going back. The
 * item that was first in view is put back where it was, again after every change of the page's
 * size, for at most `timeoutMs`, and never after the person scrolls or types themselves.
 */
export function restoreScroll(saved: ScrollPlace | undefined, timeoutMs = 3_000): () => void {
  if (typeof window === 'undefined' || !saved || !(saved.y > 0)) return () => {};
  const events = ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const;
  const observer = new ResizeObserver(() => place());
  const timer = setTimeout(() => stop(), timeoutMs);
  function stop() {
    observer.disconnect();
    clearTimeout(timer);
    for (const name of events) window.removeEventListener(name, stop);
  }
  function place() {
    const anchor = saved!.place
      ? [...document.querySelectorAll<HTMLElement>('[data-place]')].find((el) => el.dataset.place === saved!.place)
      : undefined;
    const y = anchor ? window.scrollY + anchor.getBoundingClientRect().top - (saved!.top ?? 0) : saved!.y;
    if (document.documentElement.scrollHeight - window.innerHeight >= y) window.scrollTo(0, y);
  }
  for (const name of events) window.addEventListener(name, stop, { passive: true, once: true });
  observer.observe(document.body);
  place();
  return stop;
}

/**
 * Whether this server serves the developer inspector (INSPECT_ENABLED, decided at start-up). The
 * server writes it into the page shell's `<html data-inspector>`; anything but "on" counts as off.
 */
export function inspectorEnabled(): boolean {
  return typeof document !== 'undefined' && document.documentElement.dataset.inspector === 'on';
}

/** What the not-found page says when the inspector is off. */
export const INSPECTOR_OFF_REASON =
  'The developer inspector is off on this server. To turn it on, set INSPECT_ENABLED=1 and restart Fieldpass.';

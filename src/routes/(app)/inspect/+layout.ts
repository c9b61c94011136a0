import { error } from '@sveltejs/kit';
import { INSPECTOR_OFF_REASON, inspectorEnabled } from '#lib/app/inspector-switch.ts';

// The server already answered 404 when the inspector is off; this shows the app's not-found page.
export function load(): void {
  if (!inspectorEnabled()) error(404, 'Not Found', { reason: INSPECTOR_OFF_REASON });
}

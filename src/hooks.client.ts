import type { ClientInit } from '@sveltejs/kit/hooks';
import { beginCallback } from '#lib/components/callback.ts';

// Runs once per page load, before the first page is loaded: on the callback, the code exchange
// starts here rather than once the page has rendered.
export const init: ClientInit = () => beginCallback();

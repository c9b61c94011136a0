import type { ClientInit } from '@sveltejs/kit/hooks';

// Runs once per page load, before the first page is loaded: on the callback, the code exchange
// starts here rather than once the page has rendered. Only the callback loads the module (its
// page imports it too, so it is already on its way), and SvelteKit waits for it to clear the
// address bar before reading the address.
export const init: ClientInit = async () => {
  if (location.pathname !== '/callback') return;
  const { beginCallback } = await import('#lib/app/callback.ts');
  beginCallback();
};

// See https://svelte.dev/docs/kit/types#app.d.ts
import type { EarlyCallback } from '#lib/pwa/callback-messages.ts';

declare global {
  interface Window {
    /** Left by the inline script in app.html when the service worker is finishing a sign-in. */
    fieldpassCallback?: EarlyCallback;
  }

  namespace App {
    interface Error {
      message: string;
      /** A stable code for support (`server_error` for anything unexpected); never a stack or a raw message. */
      code?: string;
      /** For a page that is not served: why, in plain words, and what turns it on. */
      reason?: string;
    }
    interface Locals {
      /** Set by the server hook on every request: whether the inspector is served, and its connect-src origins. */
      inspector: { enabled: boolean; origins: string[] };
    }
  }
}

export {};

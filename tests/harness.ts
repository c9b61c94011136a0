// Where the end-to-end tests run the app and the sandbox: ports of their own, so a running
// `npm run dev` (5173, 9000, 9100) does not get in the way.

export const SANDBOX_PORTS = { issuer: 9010, api: 9110 } as const;
export const APP_ORIGIN = 'http://127.0.0.1:4173';
export const ISSUER = `http://127.0.0.1:${SANDBOX_PORTS.issuer}`;
export const API_BASE_URL = `http://127.0.0.1:${SANDBOX_PORTS.api}`;
export const DEMO = { email: 'sam.okafor@fentu.example', password: 'fieldpass', name: 'Sam Okafor' } as const;

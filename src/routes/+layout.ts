// Tokens live in this browser's IndexedDB, so every page renders in the browser. The server still
// serves each page dynamically, which is what lets it send the CSP and framing headers.
export const ssr = false;
export const prerender = false;

/**
 * oidc-provider, loaded from this CommonJS service. The package ships ES modules only; Node 20.19+
 * loads them with require() (require(esm): its module graph has no top-level await), the
 * production build (swc, CommonJS) keeps this require as it is, and jest turns the package into
 * CommonJS with swc (jest.config.js). TypeScript's node16 mode refuses a static import of an ES
 * module from CommonJS, so the types come through `typeof import(..., resolution-mode: import)`.
 */
export type OidcLibrary = typeof import('oidc-provider', { with: { 'resolution-mode': 'import' } });
export type * as Oidc from 'oidc-provider' with { 'resolution-mode': 'import' };

/**
 * What the library printed while loading. It warns on any runtime older than Node 22 LTS (its CI
 * tests 22 and later; this service runs on 20.19+, where its own suite of flows passes here): the
 * line goes to the service's log at start (server.ts) instead of a bare console line in every
 * process that loads the app.
 */
export const libraryWarnings: string[] = [];

/* eslint-disable no-console -- the library prints with console.warn; it is caught here, nowhere else */
const warn = console.warn;
console.warn = (...args: unknown[]) => libraryWarnings.push(args.map(String).join(' '));
let library: OidcLibrary;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  library = require('oidc-provider') as OidcLibrary;
} finally {
  console.warn = warn;
}
/* eslint-enable no-console */

export const { Provider, errors, interactionPolicy } = library;

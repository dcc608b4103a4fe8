/**
 * oidc-provider, loaded from this CommonJS service. The package ships ES modules only; Node 20.19+
 * loads them with require() (require(esm): its module graph has no top-level await), the
 * production build (swc, CommonJS) keeps this require as it is, and jest turns the package into
 * CommonJS with swc (jest.config.js). TypeScript's node16 mode refuses a static import of an ES
 * module from CommonJS, so the types come through `typeof import(..., resolution-mode: import)`.
 */
export type OidcLibrary = typeof import('oidc-provider', { with: { 'resolution-mode': 'import' } });
export type * as Oidc from 'oidc-provider' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const library = require('oidc-provider') as OidcLibrary;

export const { Provider, errors, interactionPolicy } = library;

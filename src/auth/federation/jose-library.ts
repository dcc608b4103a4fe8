/**
 * jose (panva), loaded from this CommonJS service like oidc-provider (see ../oidc/library.ts):
 * the package ships ES modules only, Node 20.19+ loads them with require(esm), and jest turns them
 * into CommonJS with swc (jest.config.js). The types come through a `resolution-mode: import` type query.
 */
export type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const jose = require('jose') as Jose;

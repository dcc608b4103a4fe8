/**
 * openid-client (panva's certified relying-party library), loaded from this CommonJS service as
 * jose is (see jose-library.ts): ES modules only, required through require(esm); jest turns it
 * into CommonJS with swc (jest.config.js).
 */
export type OpenIdClient = typeof import('openid-client', { with: { 'resolution-mode': 'import' } });

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const openIdClient = require('openid-client') as OpenIdClient;

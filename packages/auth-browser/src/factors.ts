/**
 * `@cathouse/auth-browser/factors`: every second-factor call of a signed-in client, for an
 * account's security page. Listing, renaming and removing factors and making new recovery codes are
 * here only, so the main entry stays within its size budget (test/size.test.ts); setting up a
 * factor and `stepUp` are also in the main entry, which sign-in screens already import.
 */
export {
  confirmTotp,
  deletePasskey,
  deleteTotp,
  enrolTotp,
  listFactors,
  regenerateRecoveryCodes,
  registerPasskey,
  renamePasskey,
  stepUp,
} from './sign-in/factors.js';
export type { FactorOverview, Passkey } from './types.js';

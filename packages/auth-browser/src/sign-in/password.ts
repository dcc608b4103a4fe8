import type { SignInMethod } from './sign-in-method.js';

/** Email and password (`POST login`): `invalid_credentials`, `rate_limited`, `account_disabled`, ... */
export const withPassword =
  (email: string, password: string): SignInMethod =>
  (api) =>
    api.call('POST', '/login', { body: { email, password } });

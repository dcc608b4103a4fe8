import type { RegisterInput } from '../types.js';
import type { SignInMethod } from './sign-in-method.js';

/** A new account (`POST register`), signed in at once: `email_taken`, `weak_password`, `role_not_allowed`, ... */
export const withRegistration =
  ({ name, ...input }: RegisterInput): SignInMethod =>
  (api) =>
    // The Cat House frontend sends `name`; the service calls it display_name and refuses unknown fields.
    api.call('POST', '/register', { body: name != null && input.display_name === undefined ? { ...input, display_name: name } : input });

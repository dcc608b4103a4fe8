import type { AuthApi } from '../auth-api.js';
import type { TokenResponse } from '../types.js';

/**
 * A way to sign in: the requests to the service that end in a token response with the user.
 * `auth.signIn(method)` stores the session and tells every tab. Each method lives in its own file
 * of this folder (password, registration; providers and passkeys when the service has them), so a
 * new one is a new file and one export line in index.ts. A method rejects with AuthError
 * (`api.call` does that), e.g. with a code that asks the app for another step.
 */
export type SignInMethod = (api: AuthApi) => Promise<TokenResponse>;

import type { AuthUser } from '@cathouse/auth-browser';
import { auth } from '../auth-client';

export interface LoginRequest {
  email: string;
  password: string;
}

export interface RegisterRequest {
  email: string;
  password: string;
  /** Sent as the service's `display_name`. */
  name?: string;
}

/**
 * The frontend's auth service, same names. The package makes the requests (with the service's
 * field names), keeps the tokens and refreshes them, so these resolve to the user, not to tokens,
 * and there is no refreshToken() any more. Errors are AuthError: branch on `err.code`.
 */
export const authService = {
  login: (data: LoginRequest): Promise<AuthUser> => auth.login(data.email, data.password),

  register: (data: RegisterRequest): Promise<AuthUser> => auth.register(data),

  logout: async (): Promise<void> => {
    await auth.logout();
  },

  /** The user again from the service, after a profile or role change. */
  me: (): Promise<AuthUser> => auth.reload(),

  /** Password reset and change, email, profile, developer role, devices, history, deletion: one call each. */
  account: auth.account,
};

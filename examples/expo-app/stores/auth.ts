import type { AuthUser, RegisterInput, SessionSnapshot, SignOutReason } from '@cathouse/auth-browser';
import { create } from 'zustand';
import { auth } from '../api/auth-client';
import { removeLegacyAuthStorage } from './legacy-auth-storage';

export interface User {
  id: string;
  /** null for a guest player (signed in with `asGuest`, not yet upgraded). */
  email: string | null;
  /** The service's `display_name`. */
  name?: string;
  role: string;
  emailVerified: boolean;
}

interface AuthState {
  user: User | null;
  isAuthenticated: boolean;
  /** `loading` until the stored session was read at launch. */
  status: SessionSnapshot['status'];
  /** Why the last session ended: `logout` (any tab), `session_ended` (expired or revoked), ... */
  signOutReason: SignOutReason | null;

  // Actions: each is one call to the package, which tells this store (and every tab) what changed.
  login: (email: string, password: string) => Promise<void>;
  register: (input: RegisterInput) => Promise<void>;
  logout: () => Promise<void>;
  reload: () => Promise<void>;
}

export const toUser = (user: AuthUser): User => ({
  id: user.id,
  email: user.email,
  name: user.display_name ?? undefined,
  role: user.role,
  emailVerified: user.email_verified,
});

const fromSnapshot = ({ status, user, reason }: SessionSnapshot) => ({
  status,
  user: user ? toUser(user) : null,
  isAuthenticated: status === 'signedIn',
  signOutReason: reason,
});

/**
 * No tokens here and no persist: the package keeps the session (and stores it), and this store
 * mirrors its snapshot, in this tab and when another tab signs in or out.
 */
export const useAuthStore = create<AuthState>()(() => ({
  ...fromSnapshot(auth.getSnapshot()),
  login: async (email, password) => {
    await auth.login(email, password);
  },
  register: async (input) => {
    await auth.register(input);
  },
  logout: async () => {
    await auth.logout();
  },
  reload: async () => {
    await auth.reload();
  },
}));

auth.subscribe((snapshot) => useAuthStore.setState(fromSnapshot(snapshot)));
void removeLegacyAuthStorage();

import type { AuthApi } from './auth-api.js';
import type { SignOutReason } from './session-record.js';
import type {
  Accepted,
  AuthUser,
  ConnectedApp,
  CreatedPersonalAccessToken,
  DeviceSession,
  EventPage,
  LinkedIdentity,
  PersonalAccessToken,
  ProfileInput,
  TokenResponse,
} from './types.js';

/** What the account calls need from the session manager; AuthClient provides it. */
export interface AccountHost {
  readonly api: AuthApi;
  /** Runs `call` with a valid access token; after a refused one (401), once more with a fresh token. */
  authorized<T>(call: (token: string) => Promise<T>): Promise<T>;
  /** Stores a changed user, and a new access token for the same session when given, in every tab. */
  updateSession(user: AuthUser, tokens?: TokenResponse): Promise<void>;
  /** Ends the session here and in every tab without asking the service (it already ended it). */
  endLocally(reason: SignOutReason): Promise<void>;
  /** The session id (`sid`) of the access token held now. */
  sessionId(): string | undefined;
  /** Reloads the user when signed in; never rejects. */
  refreshUser(): Promise<void>;
}

const enc = encodeURIComponent;

/**
 * Every account endpoint of the service as one call (`auth.account.*`); the second-factor
 * endpoints are functions of sign-in/factors.ts (`@cathouse/auth-browser/factors`). The calls that change
 * the signed-in user (profile, developer role, verification) store the new user in every tab, so
 * `getSnapshot()` and `useSession()` show it. Every method rejects with AuthError only: the
 * API's code (`invalid_credentials`, `weak_password`, `link_invalid`, `email_taken`,
 * `email_not_verified`, `rate_limited`, ...) or `signed_out` for a call that needs a session.
 */
export class Account {
  constructor(private readonly host: AccountHost) {}

  /** "Forgot password": mails a reset link if an account uses the address. The same answer for every address. */
  requestPasswordReset(email: string, captchaToken?: string): Promise<Accepted> {
    return this.host.api.call('POST', '/password/forgot', { body: captchaToken ? { email, captcha_token: captchaToken } : { email } });
  }

  /** The reset page: the token from the mailed link and the new password. Ends every session of that user (sign in again). */
  resetPassword(token: string, password: string): Promise<void> {
    return this.host.api.call('POST', '/password/reset', { body: { token, password } });
  }

  /** Signed in: this session stays, every other session of the user ends. */
  changePassword(currentPassword: string, newPassword: string): Promise<void> {
    return this.host.authorized((token) =>
      this.host.api.call('POST', '/password/change', { token, body: { current_password: currentPassword, new_password: newPassword } }),
    );
  }

  /** The verification page: the token from the mailed link (verification or email change). Reloads the user when signed in. */
  async verifyEmail(token: string): Promise<{ email: string; email_verified: true }> {
    const result = await this.host.api.call<{ email: string; email_verified: true }>('POST', '/verify-email', { body: { token } });
    await this.host.refreshUser();
    return result;
  }

  /** Mails a new verification link (earlier links stop working); `already_verified` if there is nothing to do. */
  resendVerificationEmail(): Promise<Accepted> {
    return this.host.authorized((token) => this.host.api.call('POST', '/verify-email/resend', { token }));
  }

  /** Mails a confirmation link to the new address; the address changes when `verifyEmail` gets that link's token. */
  changeEmail(newEmail: string, password: string): Promise<Accepted> {
    return this.host.authorized((token) => this.host.api.call('POST', '/email/change', { token, body: { new_email: newEmail, password } }));
  }

  /** Sets (or with null clears) the display name; `name` is accepted for the frontend's field. */
  async updateProfile({ name, display_name = name, locale }: ProfileInput): Promise<AuthUser> {
    const user = await this.host.authorized((token) => this.host.api.call<AuthUser>('PATCH', '/me', { token, body: { display_name, locale } }));
    await this.host.updateSession(user);
    return user;
  }

  /** A verified player becomes a developer: a new access token for the same session (the refresh token stays). */
  async becomeDeveloper(): Promise<AuthUser> {
    const tokens = await this.host.authorized((token) => this.host.api.call<TokenResponse>('POST', '/me/developer', { token }));
    const user = await this.host.api.call<AuthUser>('GET', '/me', { token: tokens.access_token });
    await this.host.updateSession(user, tokens);
    return user;
  }

  /** Deletes the account (asks for the password) and signs out everywhere (`signedOut: account_deleted`). */
  async deleteAccount(password: string): Promise<void> {
    await this.host.authorized((token) => this.host.api.call('DELETE', '/me', { token, body: { password } }));
    await this.host.endLocally('account_deleted');
  }

  /** The user's live sessions (devices), most recently used first (`limit`: 20 unless given, at most 100); `current` marks this one. */
  async listSessions({ limit }: { limit?: number } = {}): Promise<DeviceSession[]> {
    const path = `/me/sessions${limit ? `?limit=${limit}` : ''}`;
    const { sessions } = await this.host.authorized((token) => this.host.api.call<{ sessions: DeviceSession[] }>('GET', path, { token }));
    return sessions;
  }

  /** Ends one session (a lost phone). Ending this device's own session signs out here too. */
  async endSession(id: string): Promise<void> {
    const current = this.host.sessionId();
    await this.host.authorized((token) => this.host.api.call('DELETE', `/me/sessions/${enc(id)}`, { token }));
    if (id === current) await this.host.endLocally('logout');
  }

  /** The user's personal access tokens (for CI and the `cathouse` CLI), with their last use. */
  async listTokens(): Promise<PersonalAccessToken[]> {
    const { tokens } = await this.host.authorized((token) => this.host.api.call<{ tokens: PersonalAccessToken[] }>('GET', '/me/tokens', { token }));
    return tokens;
  }

  /**
   * A personal access token; `token` is in this answer only. Needs a recent sign-in
   * (`reauthentication_required`), scopes the role holds and an expiry (`expires_at`, ISO 8601).
   */
  createToken(input: { name: string; scopes: string[]; expires_at: string }): Promise<CreatedPersonalAccessToken> {
    return this.host.authorized((token) => this.host.api.call('POST', '/me/tokens', { token, body: input }));
  }

  /** Revokes one token (with an id) or every token (without); it is refused at its next exchange. */
  revokeTokens(id?: string): Promise<{ revoked: number } | undefined> {
    return this.host.authorized((token) => this.host.api.call('DELETE', id ? `/me/tokens/${enc(id)}` : '/me/tokens', { token }));
  }

  /** The provider accounts (Apple, Google) linked to the user, to sign in with. */
  async listIdentities(): Promise<LinkedIdentity[]> {
    const { identities } = await this.host.authorized((token) => this.host.api.call<{ identities: LinkedIdentity[] }>('GET', '/me/identities', { token }));
    return identities;
  }

  /**
   * Links a provider account to the signed-in user: a fresh ID token from the provider's SDK and
   * its raw nonce, as for `withIdToken`. `identity_in_use` when another account has it; the same
   * link again changes nothing.
   */
  linkIdentity(provider: 'apple' | 'google', idToken: string, nonce: string): Promise<LinkedIdentity> {
    return this.host.authorized((token) => this.host.api.call('POST', '/me/identities', { token, body: { provider, id_token: idToken, nonce } }));
  }

  /** Unlinks one; `last_identity` when it is the account's only way in (no password, no other provider). */
  unlinkIdentity(id: string): Promise<void> {
    return this.host.authorized((token) => this.host.api.call('DELETE', `/me/identities/${enc(id)}`, { token }));
  }

  /** The cats' apps the user let in through the OpenID provider (Sign in with Cat House), most recently granted first. */
  async listConnectedApps(): Promise<ConnectedApp[]> {
    const { connected_apps } = await this.host.authorized((token) => this.host.api.call<{ connected_apps: ConnectedApp[] }>('GET', '/me/connected-apps', { token }));
    return connected_apps;
  }

  /** Disconnects one: its tokens stop working at once; signing in with it again asks for consent again. */
  disconnectApp(id: string): Promise<void> {
    return this.host.authorized((token) => this.host.api.call('DELETE', `/me/connected-apps/${enc(id)}`, { token }));
  }

  /** The user's security history, newest first; pass `next_before` as `before` for the next page. */
  listEvents({ before, limit }: { before?: string; limit?: number } = {}): Promise<EventPage> {
    const query = [before && `before=${enc(before)}`, limit && `limit=${limit}`].filter(Boolean).join('&');
    return this.host.authorized((token) => this.host.api.call('GET', `/me/events${query ? `?${query}` : ''}`, { token }));
  }
}

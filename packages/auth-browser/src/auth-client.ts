// Over 250 lines on purpose: the package's one public client, one class whose methods share the session state (generation,
// tokens, the refresh in flight); the pieces it composes (auth-api, storage, session-record, session-events, cross-tab,
// account, sign-in/, axios) have their own files.
import { Account, type AccountHost } from './account.js';
import { AuthApi, type LogoutScope } from './auth-api.js';
import type { AuthClientOptions } from './client-options.js';
import { defaultChannel } from './channels.js';
import type { Channel, GenerationJournal, Lock } from './cross-tab.js';
import { AuthError } from './errors.js';
import { fetchWithToken } from './fetch.js';
import { defaultGenerationJournal } from './generation-journal.js';
import { defaultLock, inProcessLock } from './locks.js';
import { SessionEvents, type AuthEvents, type SessionSnapshot } from './session-events.js';
import { endsSession, isRecord, readRecord, sessionIdOf, signedOutError, type Session, type SessionRecord, type SignOutReason } from './session-record.js';
import { withPassword } from './sign-in/password.js';
import { withRegistration } from './sign-in/registration.js';
import type { SignInMethod } from './sign-in/sign-in-method.js';
import { memoryStorage, type SessionStorage } from './storage.js';
import type { AuthMode, AuthUser, RegisterInput, TokenResponse } from './types.js';


const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The session of one user on one device: signs in, keeps the access token fresh, stores every
 * rotated refresh token, and shares all of it with the other tabs of the origin.
 */
export class AuthClient implements AccountHost {
  readonly mode: AuthMode;
  /** The service's endpoints, for sign-in methods and account calls. */
  readonly api: AuthApi;
  /** Every account endpoint as one call: password reset and change, email, profile, developer role, devices, tokens, linked identities, connected apps, history, deletion. */
  readonly account: Account;
  private readonly storage: SessionStorage;
  private readonly key: string;
  private readonly marginMs: number;
  private readonly syncTimeoutMs: number;
  private readonly lock: Lock;
  private readonly channel: Channel | undefined;
  private readonly journal: GenerationJournal | undefined;
  private readonly events = new SessionEvents();
  private readonly unsubscribe: () => void;
  private readonly loaded: Promise<void>;
  private readonly initial: Promise<SessionSnapshot>;
  private settled = false;
  private lastReason: SignOutReason | null = null;
  private generation = 0;
  private session: Session | null = null;
  private inflight: Promise<string> | undefined;

  constructor(options: AuthClientOptions) {
    this.mode = options.mode ?? 'bearer';
    const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.api = new AuthApi(options.baseUrl.replace(/\/+$/, ''), this.mode, fetchFn);
    this.account = new Account(this);
    this.storage = options.storage ?? memoryStorage();
    this.key = options.storageKey ?? 'cathouse.auth';
    this.marginMs = (options.refreshMarginSeconds ?? 60) * 1000;
    this.syncTimeoutMs = options.crossTabSyncTimeoutMs ?? 5000;
    const crossTab = options.crossTab ?? true;
    this.lock = crossTab ? defaultLock(`cathouse-auth:${this.key}`) : inProcessLock();
    this.channel = crossTab ? defaultChannel(`cathouse-auth:${this.key}`) : undefined;
    this.journal = crossTab ? defaultGenerationJournal(this.key) : undefined;
    this.unsubscribe = this.channel?.subscribe((message) => this.adopt(message, true)) ?? (() => undefined);
    this.loaded = readRecord(this.storage, this.key).then((record) => {
      if (record && record.generation > this.generation) {
        this.generation = record.generation;
        this.session = record.session;
      }
    });
    this.initial = this.settle();
  }

  /** Which lock and channel this environment gave the client (for diagnostics and tests). */
  get coordination(): { lock: Lock['kind']; channel: Channel['kind']; journal: boolean } {
    return { lock: this.lock.kind, channel: this.channel?.kind ?? 'none', journal: !!this.journal };
  }

  /** The session now, synchronously: `{ status, user, reason }`, the same object until it changes. For useSyncExternalStore. */
  readonly getSnapshot = (): SessionSnapshot => this.events.snapshot;

  /** Calls `listener` with the new snapshot whenever it changes (any tab); returns the function that unsubscribes. */
  readonly subscribe = (listener: (snapshot: SessionSnapshot) => void): (() => void) => this.events.subscribe(listener);

  /** Resolves once the initial session is known (the `initialSession` event); never rejects. */
  ready(): Promise<SessionSnapshot> {
    return this.initial;
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends keyof AuthEvents>(event: E, listener: (event: AuthEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Signs in with a method from sign-in/ (in every tab) and resolves to the user. Rejects with the method's AuthError. */
  async signIn(method: SignInMethod): Promise<AuthUser> {
    const response = await method(this.api);
    // A method whose answer carries no user (an OAuth-shaped grant) costs one `/me`.
    const user = response.user ?? (await this.api.call<AuthUser>('GET', '/me', { token: response.access_token }));
    await this.loaded;
    const session = this.toSession(response, user);
    await this.lock.run(() => this.commit(session, 'signedIn'));
    return user;
  }

  /** Creates an account and signs in (in every tab). Rejects with AuthError (`email_taken`, `weak_password`, ...). */
  register(input: RegisterInput): Promise<AuthUser> {
    return this.signIn(withRegistration(input));
  }

  /** Signs in (in every tab). Rejects with AuthError (`invalid_credentials`, `rate_limited`, `account_disabled`, ...). */
  login(email: string, password: string, captchaToken?: string): Promise<AuthUser> {
    return this.signIn(withPassword(email, password, captchaToken));
  }

  /**
   * Ends the session here and in every tab, and asks the service to revoke it (`global`: every
   * session of the user). `others` ends every other session of the user and keeps this one. Never
   * rejects: the local session ends even when the service cannot be reached; `revoked` says
   * whether the service confirmed.
   */
  async logout({ scope = 'local' }: { scope?: LogoutScope } = {}): Promise<{ revoked: boolean }> {
    await this.loaded;
    // Under the lock, after catching up: the refresh token sent is the newest one, not one another tab is rotating.
    return this.lock.run(async () => {
      await this.catchUp().catch(() => undefined);
      let revoked = false;
      if (this.session || this.mode === 'cookie') {
        try {
          await this.api.logout(this.session?.refreshToken, scope);
          revoked = true;
        } catch {
          revoked = false;
        }
      }
      if (scope !== 'others') await this.commit(null, 'signedOut', 'logout');
      return { revoked };
    });
  }

  /**
   * A valid access token, refreshed first when it expires within the margin (or when it is
   * `rejectedToken`, the one a 401 just refused). One refresh at a time, in this tab and across tabs.
   * Rejects with AuthError: `signed_out` (no session, or the service ended it: every tab is
   * signed out), `network_error`/`server_error`/`rate_limited` (the session is kept; try later).
   */
  async getAccessToken({ rejectedToken }: { rejectedToken?: string } = {}): Promise<string> {
    await this.loaded;
    const session = this.session;
    if (session && session.accessToken !== rejectedToken && this.isFresh(session)) return session.accessToken;
    if (!session && !this.mightHaveCookieSession()) throw signedOutError();
    this.inflight ??= this.lock.run(() => this.refreshLocked(rejectedToken)).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The signed-in user, or null. In cookie mode after a reload this costs a refresh and a `/me`. */
  async getUser(): Promise<AuthUser | null> {
    await this.loaded;
    if (this.session?.user) return this.session.user;
    try {
      await this.getAccessToken();
    } catch (err) {
      if (err instanceof AuthError && err.code === 'signed_out') return null;
      throw err;
    }
    return this.session?.user ?? this.reload();
  }

  /** Asks the service for the user again (after a role or profile change elsewhere) and shows it in every tab. */
  async reload(): Promise<AuthUser> {
    const user = await this.authorized((token) => this.api.call<AuthUser>('GET', '/me', { token }));
    await this.updateSession(user);
    return user;
  }

  /**
   * `fetch` with `Authorization: Bearer <access token>`; after a 401 it gets a fresh token and
   * retries once. Rejects like fetch for network errors, and with AuthError when there is no
   * session to get a token from.
   */
  fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    return fetchWithToken(this, input, init);
  }

  /** Stops listening to other tabs (tests, and apps that drop the client). */
  close(): void {
    this.unsubscribe();
    this.channel?.close();
    this.journal?.close();
  }

  /** Runs `call` with a valid token; when it is refused (`refused`, default: AuthError 401), once more with a fresh one. */
  async authorized<T>(call: (token: string) => Promise<T>, refused?: (result: T) => boolean): Promise<T> {
    const token = await this.getAccessToken();
    try {
      const result = await call(token);
      if (!refused?.(result)) return result;
    } catch (err) {
      if (!(err instanceof AuthError && err.status === 401)) throw err;
    }
    return call(await this.getAccessToken({ rejectedToken: token }));
  }

  /** Stores a changed user (and a new access token of the same session) in every tab. */
  async updateSession(user: AuthUser, tokens?: TokenResponse): Promise<void> {
    await this.loaded;
    await this.lock.run(async () => {
      await this.catchUp();
      const current = this.session;
      if (!current) return;
      // A token response without a refresh token (me/developer): the session's refresh token stays.
      const lifetimeMs = tokens ? tokens.expires_in * 1000 : current.lifetimeMs;
      const next = tokens ? { ...current, accessToken: tokens.access_token, expiresAt: Date.now() + lifetimeMs, lifetimeMs, user } : { ...current, user };
      await this.commit(next, 'userUpdated');
    });
  }

  /** Ends the session here and in every tab, after the service ended it (account deleted, own session ended). */
  async endLocally(reason: SignOutReason): Promise<void> {
    await this.lock.run(() => this.commit(null, 'signedOut', reason));
  }

  sessionId(): string | undefined {
    return this.session ? sessionIdOf(this.session.accessToken) : undefined;
  }

  async refreshUser(): Promise<void> {
    if (this.session) await this.reload().catch(() => undefined);
  }

  /** After the stored session is read (cookie mode: after the cookie was tried), the first snapshot and `initialSession`. */
  private async settle(): Promise<SessionSnapshot> {
    await this.loaded.catch(() => undefined);
    if (!this.session && this.mightHaveCookieSession()) await this.getUser().catch(() => undefined);
    this.settled = true;
    this.show();
    this.events.emit('initialSession', { user: this.session?.user ?? null });
    return this.events.snapshot;
  }

  private show(): void {
    const status = this.session ? 'signedIn' : this.settled ? 'signedOut' : 'loading';
    this.events.show(status, this.session?.user ?? null, this.session ? null : this.lastReason);
  }

  private isFresh(session: Session): boolean {
    const margin = Math.min(this.marginMs, session.lifetimeMs / 2);
    return session.expiresAt - Date.now() > margin;
  }

  /** Cookie mode after a load: the HttpOnly cookie may hold a session this tab cannot see until it tries. */
  private mightHaveCookieSession(): boolean {
    return this.mode === 'cookie' && this.generation === 0;
  }

  private toSession(response: TokenResponse, user: AuthUser | null): Session {
    if (this.mode === 'bearer' && !response.refresh_token) {
      throw new AuthError('mode_mismatch', "The service sent no refresh_token: it runs with REFRESH_TOKEN_COOKIE=true; create the client with mode: 'cookie'.");
    }
    const lifetimeMs = response.expires_in * 1000;
    return {
      accessToken: response.access_token,
      expiresAt: Date.now() + lifetimeMs,
      lifetimeMs,
      refreshToken: this.mode === 'bearer' ? response.refresh_token : undefined,
      user,
    };
  }

  /** Runs under the lock: the one place a refresh token is spent. */
  private async refreshLocked(rejectedToken: string | undefined): Promise<string> {
    await this.catchUp();
    const current = this.session;
    // Another tab (or an earlier caller here) refreshed while this one waited for the lock.
    if (current && current.accessToken !== rejectedToken && this.isFresh(current)) return current.accessToken;
    if (!current && !this.mightHaveCookieSession()) throw signedOutError();
    let response: TokenResponse;
    try {
      response = await this.api.refresh(current?.refreshToken);
    } catch (err) {
      if (endsSession(err, this.mode)) {
        // No session before (a cookie-mode probe that found no cookie) is no sign-out, so no reason.
        await this.commit(null, 'signedOut', current ? 'session_ended' : undefined);
        throw signedOutError((err as AuthError).code);
      }
      throw err; // network, 5xx, rate limit: the session stays; the next call tries again
    }
    // Cookie mode after a load: the cookie held a session whose user this tab does not know yet.
    const user = current ? current.user : await this.api.call<AuthUser>('GET', '/me', { token: response.access_token }).catch(() => null);
    // The rotated refresh token replaces the old one at once: the old one is now worthless (and reusing it ends the session).
    const next = this.toSession(response, user);
    await this.commit(next, current ? 'tokenRefreshed' : 'signedIn');
    return next.accessToken;
  }

  /**
   * Under the lock: brings this tab up to the newest state any tab wrote. If the journal says a
   * newer generation exists, its tokens are on their way (channel message or storage); wait for
   * them rather than spend a refresh token that another tab has already rotated.
   */
  private async catchUp(): Promise<void> {
    this.adopt(await readRecord(this.storage, this.key), true);
    // Cookie mode holds no refresh token: the browser's cookie jar is always current, nothing to wait for.
    if (!this.journal || this.mode === 'cookie') return;
    const latest = await this.journal.read().catch(() => undefined); // no IndexedDB (e.g. a private window): the lock alone
    if (latest === undefined || latest <= this.generation) return;
    const deadline = Date.now() + this.syncTimeoutMs;
    while (this.generation < latest) {
      if (Date.now() > deadline) {
        // Never guess: a stale refresh token would end the session for every tab. Only this tab lets go.
        this.apply({ v: 1, generation: latest, session: null, cause: 'signedOut', reason: 'out_of_sync' }, false);
        throw new AuthError('out_of_sync', 'Another tab refreshed the session but its tokens did not reach this tab.');
      }
      await sleep(15);
      this.adopt(await readRecord(this.storage, this.key), true);
    }
  }

  /** Under the lock: writes the new state everywhere, the journal last, so whoever sees its generation can find the state. */
  private async commit(session: Session | null, cause: SessionRecord['cause'], reason?: SignOutReason): Promise<void> {
    const known = this.journal ? await this.journal.read().catch(() => undefined) : undefined;
    const record: SessionRecord = { v: 1, generation: Math.max(this.generation, known ?? 0) + 1, session, cause, reason };
    try {
      await this.storage.setItem(this.key, JSON.stringify(record));
    } catch {
      // A full or failing store must not lose a rotated token: the session goes on in memory and in the other tabs.
    }
    this.channel?.post(record);
    await this.journal?.write(record.generation).catch(() => undefined);
    this.apply(record, false);
  }

  /** A record from another tab or from storage: taken only if newer than what this tab has. */
  private adopt(message: unknown, fromOtherTab: boolean): void {
    if (isRecord(message) && message.generation > this.generation) this.apply(message, fromOtherTab);
  }

  private apply(record: SessionRecord, fromOtherTab: boolean): void {
    const before = this.session;
    this.generation = record.generation;
    this.session = record.session;
    const after = record.session;
    if (!after) {
      this.lastReason = record.reason ?? null;
      if (before) this.events.emit('signedOut', { reason: record.reason ?? 'session_ended', fromOtherTab });
    } else if (!before || record.cause === 'signedIn') {
      this.events.emit('signedIn', { user: after.user, fromOtherTab });
    } else if (record.cause === 'userUpdated') {
      this.events.emit('userUpdated', { user: after.user, fromOtherTab });
    } else {
      this.events.emit('tokenRefreshed', { expiresAt: after.expiresAt, fromOtherTab });
    }
    this.show();
  }
}

/** Creates the session manager; see AuthClientOptions. */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  return new AuthClient(options);
}

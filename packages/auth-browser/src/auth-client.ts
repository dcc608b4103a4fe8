// Over 250 lines on purpose: the package's one public client, one class whose methods share the session state (generation,
// tokens, the refresh in flight); the pieces it composes (auth-api, storage, session-record, cross-tab, axios) have their own files.
import { AuthApi, type AuthMode, type AuthUser, type FetchLike, type RegisterInput, type TokenResponse } from './auth-api.js';
import { defaultChannel } from './channels.js';
import type { Channel, GenerationJournal, Lock } from './cross-tab.js';
import { AuthError } from './errors.js';
import { defaultGenerationJournal } from './generation-journal.js';
import { defaultLock, inProcessLock } from './locks.js';
import { endsSession, isRecord, signedOutError, type Session, type SessionRecord, type SignOutReason } from './session-record.js';
import { memoryStorage, type SessionStorage } from './storage.js';

export type { SignOutReason } from './session-record.js';

export interface AuthEvents {
  signedIn: { user: AuthUser | null; fromOtherTab: boolean };
  tokenRefreshed: { expiresAt: number; fromOtherTab: boolean };
  signedOut: { reason: SignOutReason; fromOtherTab: boolean };
}

export interface AuthClientOptions {
  /** The auth API, e.g. `https://auth.cathouse.example/api/v1/auth`. */
  baseUrl: string;
  /** `bearer` (default): the service returns the refresh token and this package stores it. `cookie`: the service was started with REFRESH_TOKEN_COOKIE=true. */
  mode?: AuthMode;
  /** Where the session is kept between loads. Default: memory (gone on reload). */
  storage?: SessionStorage;
  /** The storage key, also the name of the cross-tab lock and channel. Default `cathouse.auth`. */
  storageKey?: string;
  /** Refresh this long before the access token expires (at most half its lifetime). Default 60. */
  refreshMarginSeconds?: number;
  /** Coordinate with other tabs of the origin (lock, channel). Default true where the platform has them. */
  crossTab?: boolean;
  /** How long a tab waits for tokens another tab announced before it gives up the session (ms). Default 5000. */
  crossTabSyncTimeoutMs?: number;
  /** Default: the global fetch. */
  fetch?: FetchLike;
}

type Listener<E extends keyof AuthEvents> = (event: AuthEvents[E]) => void;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The session of one user on one device: signs in, keeps the access token fresh, stores every
 * rotated refresh token, and shares all of it with the other tabs of the origin.
 */
export class AuthClient {
  readonly mode: AuthMode;
  private readonly api: AuthApi;
  private readonly storage: SessionStorage;
  private readonly key: string;
  private readonly marginMs: number;
  private readonly syncTimeoutMs: number;
  private readonly lock: Lock;
  private readonly channel: Channel | undefined;
  private readonly journal: GenerationJournal | undefined;
  private readonly listeners = new Map<keyof AuthEvents, Set<Listener<never>>>();
  private readonly unsubscribe: () => void;
  private readonly loaded: Promise<void>;
  private generation = 0;
  private session: Session | null = null;
  private inflight: Promise<string> | undefined;

  constructor(options: AuthClientOptions) {
    this.mode = options.mode ?? 'bearer';
    const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.api = new AuthApi(options.baseUrl.replace(/\/+$/, ''), this.mode, fetchFn);
    this.storage = options.storage ?? memoryStorage();
    this.key = options.storageKey ?? 'cathouse.auth';
    this.marginMs = (options.refreshMarginSeconds ?? 60) * 1000;
    this.syncTimeoutMs = options.crossTabSyncTimeoutMs ?? 5000;
    const crossTab = options.crossTab ?? true;
    this.lock = crossTab ? defaultLock(`cathouse-auth:${this.key}`) : inProcessLock();
    this.channel = crossTab ? defaultChannel(`cathouse-auth:${this.key}`) : undefined;
    this.journal = crossTab ? defaultGenerationJournal(this.key) : undefined;
    this.unsubscribe = this.channel?.subscribe((message) => this.adopt(message, true)) ?? (() => undefined);
    this.loaded = this.readStorage().then((record) => {
      if (record && record.generation > this.generation) {
        this.generation = record.generation;
        this.session = record.session;
      }
    });
  }

  /** Which lock and channel this environment gave the client (for diagnostics and tests). */
  get coordination(): { lock: Lock['kind']; channel: Channel['kind']; journal: boolean } {
    return { lock: this.lock.kind, channel: this.channel?.kind ?? 'none', journal: !!this.journal };
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<E extends keyof AuthEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Creates an account and signs in (in every tab). Rejects with AuthError (`email_taken`, `weak_password`, ...). */
  async register(input: RegisterInput): Promise<AuthUser> {
    return this.signIn(await this.api.register(input));
  }

  /** Signs in (in every tab). Rejects with AuthError (`invalid_credentials`, `rate_limited`, `account_disabled`, ...). */
  async login(email: string, password: string): Promise<AuthUser> {
    return this.signIn(await this.api.login(email, password));
  }

  /**
   * Ends the session here and in every tab, and asks the service to revoke it (`global`: every
   * session of the user). Never rejects: the local session ends even when the service cannot be
   * reached; `revoked` says whether the service confirmed.
   */
  async logout({ scope = 'local' }: { scope?: 'local' | 'global' } = {}): Promise<{ revoked: boolean }> {
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
      await this.commit(null, 'signedOut', 'logout');
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
    let token: string;
    try {
      token = await this.getAccessToken();
    } catch (err) {
      if (err instanceof AuthError && err.code === 'signed_out') return null;
      throw err;
    }
    const user = await this.api.me(token);
    if (this.session && this.session.accessToken === token) this.session = { ...this.session, user };
    return user;
  }

  /**
   * `fetch` with `Authorization: Bearer <access token>`; after a 401 it gets a fresh token and
   * retries once. Rejects like fetch for network errors, and with AuthError when there is no
   * session to get a token from.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const send = async (token: string, request: string | URL | Request) => {
      const headers = new Headers(init.headers ?? (request instanceof Request ? request.headers : undefined));
      headers.set('authorization', `Bearer ${token}`);
      return globalThis.fetch(request, { ...init, headers });
    };
    const token = await this.getAccessToken();
    // A Request's body can be read once: keep a copy for the retry.
    const spare = input instanceof Request ? input.clone() : input;
    const first = await send(token, input);
    if (first.status !== 401) return first;
    const fresh = await this.getAccessToken({ rejectedToken: token });
    return send(fresh, spare);
  }

  /** Stops listening to other tabs (tests, and apps that drop the client). */
  close(): void {
    this.unsubscribe();
    this.channel?.close();
    this.journal?.close();
  }

  private async signIn(response: TokenResponse): Promise<AuthUser> {
    await this.loaded;
    const session = this.toSession(response, response.user ?? null);
    await this.lock.run(() => this.commit(session, 'signedIn'));
    return response.user as AuthUser;
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
        await this.commit(null, 'signedOut', 'session_ended');
        throw signedOutError((err as AuthError).code);
      }
      throw err; // network, 5xx, rate limit: the session stays; the next call tries again
    }
    // The rotated refresh token replaces the old one at once: the old one is now worthless (and reusing it ends the session).
    const next = this.toSession(response, current?.user ?? null);
    await this.commit(next, current ? 'tokenRefreshed' : 'signedIn');
    return next.accessToken;
  }

  /**
   * Under the lock: brings this tab up to the newest state any tab wrote. If the journal says a
   * newer generation exists, its tokens are on their way (channel message or storage); wait for
   * them rather than spend a refresh token that another tab has already rotated.
   */
  private async catchUp(): Promise<void> {
    this.adopt(await this.readStorage(), true);
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
      this.adopt(await this.readStorage(), true);
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

  private async readStorage(): Promise<SessionRecord | undefined> {
    const raw = await this.storage.getItem(this.key);
    if (!raw) return undefined;
    try {
      const parsed: unknown = JSON.parse(raw);
      return isRecord(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
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
      if (before) this.emit('signedOut', { reason: record.reason ?? 'session_ended', fromOtherTab });
    } else if (!before || record.cause === 'signedIn') {
      this.emit('signedIn', { user: after.user, fromOtherTab });
    } else {
      this.emit('tokenRefreshed', { expiresAt: after.expiresAt, fromOtherTab });
    }
  }

  private emit<E extends keyof AuthEvents>(event: E, payload: AuthEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch {
        // A throwing listener must not break the session's bookkeeping.
      }
    }
  }
}

/** Creates the session manager; see AuthClientOptions. */
export function createAuthClient(options: AuthClientOptions): AuthClient {
  return new AuthClient(options);
}

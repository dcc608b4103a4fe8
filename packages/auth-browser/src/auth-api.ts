import { AuthError } from './errors.js';
import type { AuthMode, TokenResponse } from './types.js';

/** Supabase's three scopes, as the service names them: this session, every session of the user, every one but this. */
export type LogoutScope = 'local' | 'global' | 'others';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface CallOptions {
  body?: unknown;
  /** Sent as `Authorization: Bearer`. */
  token?: string;
}

/**
 * The service's endpoints with the API's own names; the session manager hides them from the app.
 * Every call rejects with AuthError only: `network_error` when the service could not be reached,
 * `server_error` for an answer that is not a problem document, otherwise the API's own code
 * (`invalid_grant`, `invalid_credentials`, ...). Sign-in methods (sign-in/) and account calls use `call`.
 */
export class AuthApi {
  constructor(
    /** The auth API's URL without a trailing slash, e.g. `https://auth.cathouse.example/api/v1/auth`. */
    readonly baseUrl: string,
    readonly mode: AuthMode,
    private readonly fetchFn: FetchLike,
  ) {}

  /** In cookie mode the cookie carries the refresh token and `refreshToken` is ignored. */
  refresh(refreshToken: string | undefined): Promise<TokenResponse> {
    return this.call('POST', '/refresh', { body: this.mode === 'bearer' ? { refresh_token: refreshToken } : undefined });
  }

  /** Ends the session of the refresh token (bearer mode) or of the cookie (cookie mode); `global` ends every session of the user, `others` every one but this. */
  async logout(refreshToken: string | undefined, scope: LogoutScope): Promise<void> {
    const body: Record<string, string> = {};
    if (this.mode === 'bearer' && refreshToken) body.refresh_token = refreshToken;
    if (scope !== 'local') body.scope = scope;
    await this.call('POST', '/logout', { body: Object.keys(body).length ? body : undefined });
  }

  /** One request; resolves to the parsed JSON answer (undefined for 204). */
  async call<T>(method: string, path: string, { body, token }: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    // Cookie mode: the service's CSRF check wants this header on every endpoint that reads or sets the cookie.
    // Sent in bearer mode too (it costs nothing: JSON already needs a preflight), so that a bearer client
    // pointed at a cookie-mode service gets the clear mode_mismatch rather than csrf_failed.
    if (method !== 'GET') headers['x-requested-with'] = 'fetch';
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        // The cookie only matters in cookie mode; bearer mode never sends or stores one.
        credentials: this.mode === 'cookie' ? 'include' : 'omit',
      });
    } catch (err) {
      throw new AuthError('network_error', `The auth service could not be reached (${(err as Error)?.message ?? err}).`);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok && parsed !== undefined) return parsed as T;
    const problem = parsed as { error?: unknown; detail?: unknown; title?: unknown } | undefined;
    if (problem && typeof problem.error === 'string') {
      const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
      throw new AuthError(problem.error, detail ?? String(problem.title ?? problem.error), res.status, detail, problem);
    }
    throw new AuthError('server_error', `The auth service answered ${res.status} without a problem document.`, res.status);
  }
}

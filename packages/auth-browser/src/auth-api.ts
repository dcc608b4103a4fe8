import { AuthError } from './errors.js';

/** `bearer`: the refresh token travels in JSON bodies and is kept by this package. `cookie`: it stays in the service's HttpOnly cookie. */
export type AuthMode = 'bearer' | 'cookie';

export interface AuthUser {
  id: string;
  email: string;
  role: string;
  display_name: string | null;
  is_active: boolean;
  created_at: string;
}

/** RFC 6749 §5.1, as the service answers it; `refresh_token` is absent in cookie mode. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  user?: AuthUser;
}

export interface RegisterInput {
  email: string;
  password: string;
  display_name?: string;
  role?: 'player' | 'developer';
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * The service's endpoints with the API's own names (RFC 6749); the session manager hides them
 * from the app. Every method rejects with AuthError only: `network_error` when the service could
 * not be reached, `server_error` for an answer that is not a problem document, otherwise the
 * API's own code (`invalid_grant`, `invalid_credentials`, ...).
 */
export class AuthApi {
  constructor(
    private readonly baseUrl: string,
    private readonly mode: AuthMode,
    private readonly fetchFn: FetchLike,
  ) {}

  register(input: RegisterInput): Promise<TokenResponse> {
    return this.post('/register', input) as Promise<TokenResponse>;
  }

  login(email: string, password: string): Promise<TokenResponse> {
    return this.post('/login', { email, password }) as Promise<TokenResponse>;
  }

  /** In cookie mode the cookie carries the refresh token and `refreshToken` is ignored. */
  refresh(refreshToken: string | undefined): Promise<TokenResponse> {
    return this.post('/refresh', this.mode === 'bearer' ? { refresh_token: refreshToken } : undefined) as Promise<TokenResponse>;
  }

  /** Ends the session of the refresh token (bearer mode) or of the cookie (cookie mode); `global` ends every session of the user. */
  async logout(refreshToken: string | undefined, scope: 'local' | 'global'): Promise<void> {
    const body: Record<string, string> = {};
    if (this.mode === 'bearer' && refreshToken) body.refresh_token = refreshToken;
    if (scope === 'global') body.scope = 'global';
    await this.post('/logout', Object.keys(body).length ? body : undefined);
  }

  me(accessToken: string): Promise<AuthUser> {
    return this.send('/me', { method: 'GET', headers: { authorization: `Bearer ${accessToken}` } }) as Promise<AuthUser>;
  }

  private post(path: string, body: unknown): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Cookie mode: the service's CSRF check wants this header on every endpoint that reads or sets the cookie.
    // Sent in bearer mode too (it costs nothing: JSON already needs a preflight), so that a bearer client
    // pointed at a cookie-mode service gets the clear mode_mismatch rather than csrf_failed.
    headers['x-requested-with'] = 'fetch';
    return this.send(path, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  private async send(path: string, init: RequestInit): Promise<unknown> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}`, {
        ...init,
        // The cookie only matters in cookie mode; bearer mode never sends or stores one.
        credentials: this.mode === 'cookie' ? 'include' : 'omit',
      });
    } catch (err) {
      throw new AuthError('network_error', `The auth service could not be reached (${(err as Error)?.message ?? err}).`);
    }
    if (res.status === 204) return undefined;
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok && parsed !== undefined) return parsed;
    const problem = parsed as { error?: unknown; detail?: unknown; title?: unknown } | undefined;
    if (problem && typeof problem.error === 'string') {
      const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
      throw new AuthError(problem.error, detail ?? String(problem.title ?? problem.error), res.status, detail);
    }
    throw new AuthError('server_error', `The auth service answered ${res.status} without a problem document.`, res.status);
  }
}

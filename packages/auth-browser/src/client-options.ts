import type { FetchLike } from './auth-api.js';
import type { SessionStorage } from './storage.js';
import type { AuthMode } from './types.js';

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

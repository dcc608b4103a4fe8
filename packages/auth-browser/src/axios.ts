import type { AuthClient } from './auth-client.js';
import { AuthError } from './errors.js';

/**
 * The parts of an axios (1.x) instance the helper uses, typed structurally so that the package
 * needs no axios dependency. `C` is axios's request config type, inferred from the instance.
 */
export interface AxiosInstanceLike<C> {
  interceptors: {
    request: { use(onFulfilled: (config: C) => C | Promise<C>): number; eject(id: number): void };
    response: { use(onFulfilled: undefined, onRejected: (error: unknown) => Promise<unknown>): number; eject(id: number): void };
  };
  request(config: NoInfer<C>): Promise<unknown>;
}

interface RequestConfigLike {
  headers?: { set?: (name: string, value: string) => unknown } & Record<string, unknown>;
  /** Per request: `skipAuth: true` sends it as it is (no token, no refresh for it). */
  skipAuth?: boolean;
  /** The token this request was sent with, to tell a stale token from a refused new one. */
  cathouseAccessToken?: string;
  cathouseRetried?: boolean;
}

/**
 * A failure to get a token, shaped like axios's own errors (`axios.isAxiosError()` is true) so
 * that the app's interceptors and offline queue read it as usual: a network failure has no
 * `response` and `code: 'ERR_NETWORK'`; an answer of the auth service (5xx, `rate_limited`) has
 * a `response` with its status and `{ error, detail }`. `cause` is the AuthError.
 */
export interface AuthAxiosError extends Error {
  isAxiosError: true;
  code: 'ERR_NETWORK' | 'ERR_BAD_RESPONSE' | 'ERR_BAD_REQUEST' | 'ERR_CATHOUSE_AUTH';
  config: unknown;
  status?: number;
  response?: { status: number; statusText: string; headers: Record<string, string>; config: unknown; data: { error: string; detail?: string } };
  cause: AuthError;
  toJSON(): object;
}

function toAxiosError(err: unknown, config: unknown): unknown {
  if (!(err instanceof AuthError)) return err;
  const status = err.status;
  const error = new Error(err.code === 'network_error' ? 'Network Error' : err.message) as AuthAxiosError;
  const code = err.code === 'network_error' ? 'ERR_NETWORK' : status === undefined ? 'ERR_CATHOUSE_AUTH' : status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST';
  return Object.assign(error, {
    name: 'AxiosError',
    isAxiosError: true,
    code,
    config,
    status,
    cause: err,
    response: status === undefined ? undefined : { status, statusText: '', headers: {}, config, data: { error: err.code, detail: err.detail } },
    toJSON: () => ({ name: 'AxiosError', message: error.message, code, status }),
  });
}

const anonymous = (err: unknown) => err instanceof AuthError && (err.code === 'signed_out' || err.code === 'out_of_sync');

/**
 * Adds `Authorization: Bearer <token>` to every request of `instance` and, after a 401, gets a
 * fresh token and retries the request once (what `client.fetch` does). Signed out, a request
 * goes as it is (the app's own login call, anonymous catalog calls); `skipAuth: true` in a
 * request's config does the same for one request. Failures to get a token reject with an
 * AuthAxiosError. Returns the function that removes both interceptors. Give it the axios
 * instance of your API, not the global one, and attach it before the app's own interceptors.
 */
export function attachAxios<C>(client: AuthClient, instance: AxiosInstanceLike<C>): () => void {
  const requestId = instance.interceptors.request.use(async (config) => {
    const target = config as RequestConfigLike;
    if (target.skipAuth) return config;
    let token: string;
    try {
      token = await client.getAccessToken();
    } catch (err) {
      if (anonymous(err)) return config;
      throw toAxiosError(err, config);
    }
    target.cathouseAccessToken = token;
    if (target.headers?.set) target.headers.set('Authorization', `Bearer ${token}`);
    else target.headers = { ...target.headers, Authorization: `Bearer ${token}` };
    return config;
  });
  const responseId = instance.interceptors.response.use(undefined, async (error) => {
    const { response, config } = (error ?? {}) as { response?: { status?: number }; config?: RequestConfigLike };
    if (response?.status !== 401 || !config?.cathouseAccessToken || config.cathouseRetried) throw error;
    config.cathouseRetried = true;
    // Refreshes unless another request already did; the request interceptor then sets the new token.
    try {
      await client.getAccessToken({ rejectedToken: config.cathouseAccessToken });
    } catch (err) {
      throw anonymous(err) ? error : toAxiosError(err, config);
    }
    return instance.request(config as C);
  });
  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}

import type { AuthClient } from './auth-client.js';

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
  /** The token this request was sent with, to tell a stale token from a refused new one. */
  cathouseAccessToken?: string;
  cathouseRetried?: boolean;
}

interface AxiosErrorLike {
  response?: { status?: number };
  config?: RequestConfigLike;
}

/**
 * Adds `Authorization: Bearer <token>` to every request of `instance` and, after a 401, gets a
 * fresh token and retries the request once (what `client.fetch` does). Returns the function that
 * removes both interceptors. Give it the axios instance of your API, not the global one.
 */
export function attachAxios<C>(client: AuthClient, instance: AxiosInstanceLike<C>): () => void {
  const requestId = instance.interceptors.request.use(async (config) => {
    const target = config as RequestConfigLike;
    const token = await client.getAccessToken();
    target.cathouseAccessToken = token;
    if (target.headers?.set) target.headers.set('Authorization', `Bearer ${token}`);
    else target.headers = { ...target.headers, Authorization: `Bearer ${token}` };
    return config;
  });
  const responseId = instance.interceptors.response.use(undefined, async (error) => {
    const { response, config } = (error ?? {}) as AxiosErrorLike;
    if (response?.status !== 401 || !config || config.cathouseRetried) throw error;
    config.cathouseRetried = true;
    // Refreshes unless another request already did; the request interceptor then sets the new token.
    await client.getAccessToken({ rejectedToken: config.cathouseAccessToken });
    return instance.request(config as C);
  });
  return () => {
    instance.interceptors.request.eject(requestId);
    instance.interceptors.response.eject(responseId);
  };
}

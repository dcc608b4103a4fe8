/** The part of AuthClient this needs (typed here so that the client and this file do not import each other). */
interface Authorizer {
  authorized<T>(call: (token: string) => Promise<T>, refused?: (result: T) => boolean): Promise<T>;
}

/** `client.fetch`: the Bearer header, and after a 401 one fresh token and one retry. */
export function fetchWithToken(client: Authorizer, input: string | URL | Request, init: RequestInit): Promise<Response> {
  // A Request's body can be read once: keep a copy for the retry.
  const spare = input instanceof Request ? input.clone() : input;
  let first = true;
  return client.authorized(
    (token) => {
      const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
      headers.set('authorization', `Bearer ${token}`);
      const request = first ? input : spare;
      first = false;
      return globalThis.fetch(request, { ...init, headers });
    },
    (res) => res.status === 401,
  );
}

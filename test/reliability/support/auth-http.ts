import { timedFetch } from './traffic';

export interface Answer {
  status: number;
  /** Parsed JSON body (problem+json for errors), or undefined for an empty body. */
  json: Record<string, unknown> | undefined;
  body: string;
  headers: Headers;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
}

const TIMEOUT_MS = 15_000;

async function call(baseUrl: string, method: string, path: string, opts: { body?: unknown; bearer?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  const r = await timedFetch(`${baseUrl}/api/v1/auth${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    timeoutMs: TIMEOUT_MS,
  });
  let json: Record<string, unknown> | undefined;
  try {
    json = r.body ? (JSON.parse(r.body) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, json, body: r.body, headers: r.headers };
}

/** The auth API of DESIGN.md §4 over real HTTP, one function per endpoint. */
export const auth = {
  register: (url: string, email: string, password: string) => call(url, 'POST', '/register', { body: { email, password } }),
  login: (url: string, email: string, password: string) => call(url, 'POST', '/login', { body: { email, password } }),
  refresh: (url: string, refreshToken: string) => call(url, 'POST', '/refresh', { body: { refresh_token: refreshToken } }),
  me: (url: string, accessToken: string) => call(url, 'GET', '/me', { bearer: accessToken }),
  logout: (url: string, accessToken: string) => call(url, 'POST', '/logout', { body: {}, bearer: accessToken }),
  logoutWithRefresh: (url: string, refreshToken: string) => call(url, 'POST', '/logout', { body: { refresh_token: refreshToken } }),
};

export function tokensOf(a: Answer): Tokens {
  if (!a.json || typeof a.json.access_token !== 'string' || typeof a.json.refresh_token !== 'string') {
    throw new Error(`expected a token response, got ${a.status}: ${a.body.slice(0, 300)}`);
  }
  return { access_token: a.json.access_token, refresh_token: a.json.refresh_token };
}

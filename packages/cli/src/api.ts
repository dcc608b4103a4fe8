import os from 'node:os';
import { CliError } from './errors';

export const CLIENT_ID = 'cathouse-cli';
export const VERSION = '0.1.0';
const API = '/api/v1/auth';

const SYSTEMS: Record<string, string> = { linux: 'Linux', darwin: 'Macintosh; Mac OS X', win32: 'Windows' };

/** Names the CLI and its system, so the session reads "Cat House CLI on Linux" in the user's list of sessions. */
export const USER_AGENT = `cathouse-cli/${VERSION} (${SYSTEMS[os.platform()] ?? os.platform()} ${os.arch()}; Node.js ${process.version})`;

/** The auth service's base URL: --server, else CATHOUSE_SERVER, else the stored session's, else localhost. */
export function serverUrl(explicit: string | undefined, env: NodeJS.ProcessEnv, stored?: string): string {
  const raw = explicit ?? env.CATHOUSE_SERVER ?? stored ?? 'http://localhost:3000';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--server ${raw} is not a URL: give the auth service's address, e.g. https://auth.cathouse.example`, 2);
  }
  if (url.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    throw new CliError(`${raw} is not https: tokens would cross the network in clear; use the https address of the auth service`, 2);
  }
  return url.origin;
}

export function apiUrl(server: string, path: string): string {
  return `${server}${API}${path}`;
}

/** One JSON request; an error answer (problem+json or OAuth JSON) becomes a CliError with the server's code. */
export async function requestJson<T>(url: string, init: { method?: string; token?: string; body?: unknown; form?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  let res: Response;
  try {
    res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new CliError(`cannot reach ${new URL(url).origin} (${(err as Error).cause ?? (err as Error).message}): check --server or CATHOUSE_SERVER and your network`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const e = (parsed ?? {}) as { error?: string; detail?: string; error_description?: string };
    throw new CliError(`${e.detail ?? e.error_description ?? `the server answered ${res.status}`}${e.error ? ` (${e.error})` : ''}`, 1, e.error);
  }
  return parsed as T;
}

/** The claims of a JWT, unverified: the CLI only shows what its own server gave it. */
export function claimsOf(jwt: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

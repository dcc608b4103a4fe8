/**
 * node-postgres 8 checks `sslmode=prefer|require|verify-ca` as verify-full (certificate and host
 * name) and prints a nine-line SECURITY WARNING on every start when it sees them, which is what
 * Neon's connection strings carry. The URL is rewritten to `sslmode=verify-full`, the behaviour pg
 * already has, so the warning is not printed; the start-up warning (start-warnings.ts) says so in
 * one line. `uselibpqcompat=true` asks for libpq's meaning and is left alone.
 */
const ALIASES_OF_VERIFY_FULL = new Set(['prefer', 'require', 'verify-ca']);

export function normalizeSslMode(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const parsed = sslModeOf(url);
  if (!parsed || !ALIASES_OF_VERIFY_FULL.has(parsed.mode) || parsed.libpqCompat) return url;
  return url.replace(/([?&])sslmode=[^&#]*/, '$1sslmode=verify-full');
}

/** The sslmode a database URL asks for, if any. */
export function sslModeOf(url: string): { mode: string; libpqCompat: boolean; channelBinding: string | undefined } | undefined {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  const mode = params.get('sslmode');
  if (mode === null) return undefined;
  return { mode, libpqCompat: params.get('uselibpqcompat') === 'true', channelBinding: params.get('channel_binding') ?? undefined };
}

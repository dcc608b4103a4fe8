import type { DataSource, EntityManager } from 'typeorm';
import { sql } from './sql';

/**
 * A user's live sessions as devices: what GET me/sessions and the admin's user view show.
 * Sessions are ended through sessions.ts (revokeOwnSession, revokeUserSessions); this module only
 * reads them.
 */

/**
 * At most this many sessions are listed, the most recently used. A person has a handful; an
 * account with hundreds is a script that never logs out, and listing them all made the answer
 * hundreds of kilobytes and ~100 times slower than a short list (bench/me-sessions.ts).
 * `logout {"scope":"others"}` ends the ones beyond the list.
 */
export const MAX_LISTED_SESSIONS = 100;

export interface DeviceSession {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  user_agent: string | null;
  /** A coarse label parsed from the user agent ("Firefox on Windows"), for people, not for logic. */
  device: string;
  ip: string | null;
}

/**
 * The live sessions of a user, most recently used first. Served by the sessions' user_id index
 * and a sort of that user's rows; last_used_at is deliberately not indexed, since every refresh
 * updates it and an index on it would cost the hottest path its HOT updates.
 */
export async function listLiveSessions(executor: DataSource | EntityManager, userId: string): Promise<DeviceSession[]> {
  const { rows } = await sql<{
    id: string;
    created_at: Date;
    last_used_at: Date;
    expires_at: Date;
    user_agent: string | null;
    ip: string | null;
  }>(executor, LIVE_SESSIONS_QUERY, [userId, MAX_LISTED_SESSIONS]);
  return rows.map((r) => ({
    id: r.id,
    created_at: r.created_at.toISOString(),
    last_used_at: r.last_used_at.toISOString(),
    expires_at: r.expires_at.toISOString(),
    user_agent: r.user_agent,
    device: deviceLabel(r.user_agent),
    ip: r.ip,
  }));
}

/** Exported for the EXPLAIN test. */
export const LIVE_SESSIONS_QUERY = `SELECT id, created_at, last_used_at, expires_at, user_agent, host(ip) AS ip
   FROM auth.sessions
  WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > statement_timestamp()
  ORDER BY last_used_at DESC, id LIMIT $2`;

/** Checked in order: the first match names the browser (Edge and Opera also say "Chrome"; Chrome also says "Safari"). */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bcurl\//, 'curl'],
  [/\b(okhttp|Dalvik)\b/i, 'Android app'],
  [/\bCFNetwork\//, 'iOS app'],
  [/\b(node-fetch|undici|axios|node)\b/i, 'Node.js client'],
  [/\bpython-requests|aiohttp|httpx\b/i, 'Python client'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\b(iPhone|iPod)\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X|Macintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/**
 * "Firefox on Windows", "Safari on iPhone", "curl", or "Unknown device". Coarse on purpose: a
 * person recognising their own devices needs a browser and a system, not versions, and a dozen
 * patterns do that without a user-agent database to keep up to date.
 */
export function deviceLabel(userAgent: string | null | undefined): string {
  if (!userAgent) return 'Unknown device';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}

import type { DataSource, EntityManager } from 'typeorm';
import { sql } from '../sql';

/**
 * A user's live sessions as devices: what GET me/sessions and the admin's user view show.
 * Sessions are ended through revocation.ts (revokeOwnSession, revokeUserSessions); this module only
 * reads them.
 */

/**
 * At most this many sessions are listed, the most recently used. A person has a handful; an
 * account with hundreds is a script that never logs out, and listing them all made the answer
 * hundreds of kilobytes and ~100 times slower than a short list (bench/me-sessions.ts).
 * `logout {"scope":"others"}` ends the ones beyond the list.
 */
export const MAX_LISTED_SESSIONS = 100;

/**
 * GET me/sessions' page when the caller names no `limit`: a screen of devices. Writing the rows
 * out, not finding them, is what a long list costs: at 1,000 sessions a page of 100 answered at
 * 5.8x the SELECT 1 handler's p99, a page of 20 as fast as an account with 10 sessions (the
 * query's top-N sort over the user's rows is the same either way; `npm run bench -- --only=me-sessions`).
 */
export const DEFAULT_LISTED_SESSIONS = 20;

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
export async function listLiveSessions(executor: DataSource | EntityManager, userId: string, limit = MAX_LISTED_SESSIONS): Promise<DeviceSession[]> {
  const { rows } = await sql<DeviceSession>(executor, LIVE_SESSIONS_QUERY, [userId, limit]);
  for (const row of rows) row.device = deviceLabel(row.user_agent);
  return rows;
}

/**
 * A timestamp as Date.prototype.toISOString() writes it, made by PostgreSQL: 100 rows of three
 * dates parsed into Dates and formatted again were most of this endpoint's service CPU. Only the
 * listed rows are formatted (the subquery sorts and limits the raw rows first): in one query level
 * PostgreSQL computes the output columns of every row it sorts, 3,000 to_char calls for 1,000
 * sessions, which made the query three times slower.
 */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;

/** Exported for the EXPLAIN test. */
export const LIVE_SESSIONS_QUERY = `SELECT id, ${iso('created_at')}, ${iso('last_used_at')}, ${iso('expires_at')}, user_agent, host(ip) AS ip, NULL AS device
   FROM (SELECT id, created_at, last_used_at, expires_at, user_agent, ip
           FROM auth.sessions
          WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > statement_timestamp()
          ORDER BY last_used_at DESC, id LIMIT $2) listed
  ORDER BY listed.last_used_at DESC, listed.id`;

/** Checked in order: the first match names the browser (Edge and Opera also say "Chrome"; Chrome also says "Safari"). */
const BROWSERS: [RegExp, string][] = [
  // The reference CLI's device login (issue 28): its sessions read "Cat House CLI on Linux".
  [/\bcathouse-cli\//, 'Cat House CLI'],
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
  let label = labels.get(userAgent);
  if (label === undefined) {
    // Bounded: user agents are caller-chosen strings; a full memo starts over.
    if (labels.size >= MAX_MEMOIZED_LABELS) labels.clear();
    label = parseDeviceLabel(userAgent);
    labels.set(userAgent, label);
  }
  return label;
}

/** A user's sessions share a few user agents, and a page lists up to 100 of them: each is parsed once. */
const labels = new Map<string, string>();
const MAX_MEMOIZED_LABELS = 1000;

function parseDeviceLabel(userAgent: string): string {
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}

import type { DataSource, EntityManager } from 'typeorm';
import { USER_ROLES, type UserRole } from '../../db/entities/index';
import { AppError } from '../../errors/app-error';
import { isUuid } from '../ids';
import { sql } from '../sql';
import { anonymity, type PublicUser } from './public-user';

/**
 * The admin's search over users: filters by role, state and email prefix, keyset-paged (never
 * OFFSET, which re-reads every skipped row and shifts when users register). Without a prefix the
 * pages are in creation order: (role, is_active, created_at, id) serves the role/state filters in
 * page order, (created_at, id) the unfiltered list. With a prefix they are in email order, read
 * straight from email's pattern index: a page costs one page of index whatever the number of
 * matches. In creation order a short prefix ("mia") matched tens of thousands of a million users,
 * all read and sorted for every page (bench --scale).
 */

export interface UserQuery {
  role?: UserRole | undefined;
  isActive?: boolean | undefined;
  /** Lower-cased prefix of the email. */
  emailPrefix?: string | undefined;
  /** The `next_after` of the previous page. */
  after?: string | undefined;
  limit: number;
}

export interface UserPage {
  users: PublicUser[];
  /** Pass as `after` for the next page; null on the last page. */
  next_after: string | null;
}

/**
 * The cursor is the last row's (created_at, id), with created_at at PostgreSQL's full microsecond
 * precision, or for a prefix search `@` and the last row's email (unique).
 */
function encodeCursor(row: { cursor_at: string; id: string; email: string }, byEmail: boolean): string {
  return Buffer.from(byEmail ? `@${row.email}` : `${row.cursor_at}|${row.id}`, 'utf8').toString('base64url');
}

const CURSOR = /^((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z)\|([0-9a-f-]{36})$/;

/** A date and time that exists (no 30 February, no hour 24), that PostgreSQL's timestamptz takes: issue 22 L2. */
function isRealTimestamp(parts: string[]): boolean {
  const [year, month, day, hour, minute, second] = parts.map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

function invalidCursor(): AppError {
  return new AppError('invalid_request', 'The request query is invalid: after: must be the next_after of a previous page.', {
    fields: { invalid_params: [{ name: 'after', reason: 'must be a next_after value' }] },
  });
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match || !isUuid(match[8]!) || !isRealTimestamp(match.slice(2, 8))) throw invalidCursor();
  return { createdAt: match[1]!, id: match[8]! };
}

function decodeEmailCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('@') || text.length < 2 || text.length > 321) throw invalidCursor();
  return text.slice(1);
}

/**
 * The bounds of a prefix search, as a range of the pattern index: every email that starts with
 * `prefix` and nothing else lies in [prefix, upper) in byte order, where `upper` is the prefix with
 * its last character replaced by the next code point (UTF-8 keeps code point order, byte by byte).
 * A last character that has no next one (U+10FFFF) is dropped and the one before it is moved on;
 * a prefix of only those has no upper bound. A lone surrogate (no UTF-8 form) counts as U+FFFD,
 * which is what it becomes on its way to PostgreSQL.
 */
export function prefixRange(prefix: string): { lower: string; upper: string | undefined } {
  const chars = Array.from(prefix, (c) => (/^[\uD800-\uDFFF]$/.test(c) ? '\uFFFD' : c));
  const lower = chars.join('');
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // The next code point, skipping the surrogates, which are not characters.
      chars.push(String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1));
      return { lower, upper: chars.join('') };
    }
  }
  return { lower, upper: undefined };
}

/** The page query (exported for the EXPLAIN tests); asks one row more than the limit to know whether another page exists. */
export function userPageQuery(query: UserQuery): { text: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const byEmail = query.emailPrefix !== undefined;
  if (byEmail) {
    // The range, not LIKE 'prefix%': under the C collation (the embedded server's, and any
    // database created with it) LIKE can also be served by the UNIQUE index on email, whose order
    // is the same but whose operators are not ~<~, and the planner took it for half the bench's
    // prefixes, misjudging their range at 3 rows: it read all 1,600 matches of a sixtieth of
    // 100,000 users and sorted them for every page (bench --scale, 2.6× the empty database's p99).
    // ~>=~ and ~<~ belong to the pattern index alone, which reads a page in order and stops.
    const { lower, upper } = prefixRange(query.emailPrefix!);
    where.push(`email ~>=~ $${params.push(lower)}`);
    if (upper !== undefined) where.push(`email ~<~ $${params.push(upper)}`);
  }
  if (query.after !== undefined && byEmail) {
    // ~>~ and ~<~ compare bytes, the order of the pattern index under any collation.
    where.push(`email ~>~ $${params.push(decodeEmailCursor(query.after))}`);
  } else if (query.after !== undefined) {
    const { createdAt, id } = decodeCursor(query.after);
    where.push(`(created_at, id) > ($${params.push(createdAt)}::timestamptz, $${params.push(id)}::uuid)`);
  }
  const select = `SELECT id, email, role, display_name, is_active, created_at, email_verified_at IS NOT NULL AS email_verified, locale,
          to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
     FROM auth.users`;
  const limit = `$${params.push(query.limit + 1)}`;
  const conditions = (extra: string[]) => (extra.length ? `WHERE ${extra.join(' AND ')}` : '');
  // A role without a state, or a state without a role, in creation order: one ordered scan of
  // (role, is_active, created_at, id) per pair of values, merged. A single scan would either read
  // every user of the filter and sort them, or walk (created_at, id) past the users that do not
  // match (1,900 rows for one page of developers at 100,000 users): each pair reads one page.
  if (!byEmail && (query.role === undefined) !== (query.isActive === undefined)) {
    const roles = query.role !== undefined ? [query.role] : USER_ROLES;
    const states = query.isActive !== undefined ? [query.isActive] : [true, false];
    const branches = roles.flatMap((role) =>
      states.map(
        (active) =>
          `(${select} ${conditions([`role = $${params.push(role)}::auth.user_role`, `is_active = $${params.push(active)}`, ...where])}
            ORDER BY created_at, id LIMIT ${limit})`,
      ),
    );
    return { text: `SELECT * FROM (${branches.join(' UNION ALL ')}) page ORDER BY created_at, id LIMIT ${limit}`, params };
  }
  if (query.role !== undefined) where.push(`role = $${params.push(query.role)}`);
  if (query.isActive !== undefined) where.push(`is_active = $${params.push(query.isActive)}`);
  const text = `${select} ${conditions(where)} ORDER BY ${byEmail ? 'email USING ~<~' : 'created_at, id'} LIMIT ${limit}`;
  return { text, params };
}

interface UserRow {
  id: string;
  email: string;
  role: UserRole;
  display_name: string | null;
  is_active: boolean;
  created_at: Date;
  email_verified: boolean;
  locale: string | null;
}

function toPublic(row: UserRow): PublicUser {
  return {
    id: row.id,
    ...anonymity(row.role, row.email),
    role: row.role,
    display_name: row.display_name,
    is_active: row.is_active,
    created_at: row.created_at.toISOString(),
    email_verified: row.email_verified,
    locale: row.locale,
  };
}

/** One page of users, in email order for a prefix search, else in creation order. Throws invalid_request for a cursor it did not make. */
export async function listUsers(executor: DataSource | EntityManager, query: UserQuery): Promise<UserPage> {
  const { text, params } = userPageQuery(query);
  const { rows } = await sql<UserRow & { cursor_at: string }>(executor, text, params);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    users: page.map(toPublic),
    next_after: rows.length > query.limit && last ? encodeCursor(last, query.emailPrefix !== undefined) : null,
  };
}

/** The user with this id, or undefined (also for a malformed id). */
export async function findPublicUser(executor: DataSource | EntityManager, id: string): Promise<PublicUser | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await sql<UserRow>(executor, `SELECT id, email, role, display_name, is_active, created_at, email_verified_at IS NOT NULL AS email_verified, locale FROM auth.users WHERE id = $1`, [id]);
  return rows[0] && toPublic(rows[0]);
}

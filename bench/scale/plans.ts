import { Client } from 'pg';
import { userPageQuery } from '../../src/auth/accounts/admin-users';
import { eventPageQuery } from '../../src/auth/audit/audit-events';
import { NAMES } from './shape';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

export interface PlanCheck {
  query: string;
  /** Indexes read, with how many rows each scan returned. */
  scans: string[];
  rows_read: number;
  buffers: number;
  ms: number;
  /**
   * Reads what the page needs, not the table: no sequential scan but of an empty partition, and
   * every index scan returns at most a page (limit + 1) unless it feeds a Sort (one user's or one
   * type's rows of one month, which the planner judged few: bounded by that history, not the table).
   */
  bounded: boolean;
}

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/** The scans under a Sort: they read one user's or one type's rows of a month, which the planner judged few, to sort them. */
const sortedScans = (n: PlanNode, underSort = false): PlanNode[] => [
  ...(underSort && n['Relation Name'] ? [n] : []),
  ...(n.Plans ?? []).flatMap((c) => sortedScans(c, underSort || n['Node Type'] === 'Sort')),
];

/**
 * The paging queries' plans on the seeded database, run (EXPLAIN ANALYZE): the event pages of a
 * typical and of the heaviest user, the admin's unfiltered and by-type pages (first and deep), and
 * the admin's search by each of the prefixes the hot paths search for (each matches a sixtieth of all users). Each must read at most a
 * page per index it uses, whatever the size of the tables.
 */
export async function checkPlans(url: string): Promise<PlanCheck[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const pick = async (text: string) => (await c.query(text)).rows[0] as Record<string, string>;
    const typical = await pick(`SELECT user_id FROM auth.audit_events WHERE id = (SELECT max(id) / 2 FROM auth.audit_events)`);
    const heavy = await pick(`SELECT user_id, count(*) FROM auth.audit_events WHERE id > (SELECT max(id) - 200000 FROM auth.audit_events) AND user_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1`);
    const deep = await pick(`SELECT (max(id) / 3)::text AS id FROM auth.audit_events`);
    const queries: [string, { text: string; params: unknown[] }][] = [
      ['me/events, a typical user', eventPageQuery({ userId: typical.user_id, limit: 50 })],
      ['me/events, the heaviest user', eventPageQuery({ userId: heavy.user_id, limit: 50 })],
      ['me/events, the heaviest user, a page two months back', eventPageQuery({ userId: heavy.user_id, before: deep.id, limit: 50 })],
      ['GET events (admin), newest', eventPageQuery({ limit: 50 })],
      ['GET events (admin), two months back', eventPageQuery({ before: deep.id, limit: 50 })],
      ['GET events?type=login_failed (admin)', eventPageQuery({ type: 'login_failed', limit: 50 })],
      ['GET events?type=role_changed (admin, rare)', eventPageQuery({ type: 'role_changed', limit: 50 })],
      ['GET users?role=developer (admin)', userPageQuery({ role: 'developer', limit: 50 })],
      ['GET users?is_active=false (admin)', userPageQuery({ isActive: false, limit: 50 })],
    ];
    const checks: PlanCheck[] = [];
    const check = async (query: string, q: { text: string; params: unknown[] }, sortAllowed = true): Promise<PlanCheck> => {
      const started = performance.now();
      const { rows } = await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.text}`, q.params);
      const ms = performance.now() - started;
      const root = (rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
      const all = nodes(root);
      const sorted = new Set(sortedScans(root));
      const scans = all.filter((n) => n['Relation Name']);
      const limit = 51; // every query asks for a page of 50 and one row more
      const rowsOf = (n: PlanNode) => (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1);
      return {
        query,
        scans: scans.map((n) => `${n['Index Name'] ?? n['Node Type']} (${rowsOf(n)})`),
        rows_read: scans.reduce((a, n) => a + rowsOf(n), 0),
        buffers: scans.reduce((a, n) => a + (n['Shared Hit Blocks'] ?? 0) + (n['Shared Read Blocks'] ?? 0), 0),
        ms: Math.round(ms * 100) / 100,
        bounded: scans.every((n) =>
          n['Node Type'] === 'Seq Scan'
            ? rowsOf(n) === 0 && (n['Shared Hit Blocks'] ?? 0) + (n['Shared Read Blocks'] ?? 0) === 0
            : (sortAllowed && sorted.has(n)) || rowsOf(n) <= limit,
        ),
      };
    };
    for (const [query, q] of queries) checks.push(await check(query, q));
    // Every prefix the hot-path run searches for, not one: the planner judges each range from the
    // histogram, and a plan that holds for one name may not for the next (issue 31: with LIKE, half
    // of them were read whole from the UNIQUE index and sorted). A page of users is never sorted: its
    // matches are not bounded by one user's history. The row shows the prefix that read most.
    const prefixes: PlanCheck[] = [];
    for (const name of NAMES) prefixes.push(await check(name, userPageQuery({ emailPrefix: name, limit: 50 }), false));
    const worst = prefixes.reduce((a, b) => (b.rows_read > a.rows_read || (b.rows_read === a.rows_read && b.buffers > a.buffers) ? b : a));
    const bounded = prefixes.filter((p) => p.bounded).length;
    checks.push({
      ...worst,
      query: `GET users?email=${worst.query} (admin search; the prefix that read most of the ${NAMES.length}, ${bounded} of them at most a page)`,
      bounded: bounded === prefixes.length,
    });
    return checks;
  } finally {
    await c.end();
  }
}

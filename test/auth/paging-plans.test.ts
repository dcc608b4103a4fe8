import { userPageQuery } from '../../src/auth/accounts/admin-users';
import { eventPageQuery } from '../../src/auth/audit/audit-events';
import { USER_ROLES } from '../../src/db/entities/index';
import { LIVE_SESSIONS_QUERY, MAX_LISTED_SESSIONS } from '../../src/auth/sessions/devices';
import { useTestApp } from '../support/app';
import { insertPastEvents } from '../support/audit-history';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

/** The first names of the scale bench's emails (bench/scale/shape.ts). */
const NAMES =
  'alice amir ana arjun ben bianca chen chloe dan diego elena emma eva farah felix finn gabriel grace hana hugo ines ivan jack jana jin kai ' +
  'kemal lara leo lina luca maria marta mateo mei mia nadia nina noah olga omar oscar paula pedro priya quinn rafael rosa ruth sam sara ' +
  'sofia tariq theo uma vera victor wei xavier yara yusuf zoe';

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * The paging queries' plans on a big account: 1,000 sessions and 100,000 events for one user,
 * spread over three monthly partitions of the audit log, among other users' rows. Plans, not
 * timings: each page must come from an index (no sequential scan of the table, and for the
 * keyset pages no sort of the user's rows); across partitions, from each partition's own index,
 * merged in id order, each read no further than one page.
 */
describe('the paging queries use their indexes for a user with 1,000 sessions and 100,000 events', () => {
  const t = useTestApp();
  let userId: string;

  const plan = async (query: { text: string; params: unknown[] }) => {
    const [row] = await t.dataSource.query(`EXPLAIN (FORMAT JSON) ${query.text}`, query.params);
    const root = (row['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
    return nodes(root);
  };
  const scans = (all: PlanNode[], relation: string) => all.filter((n) => n['Relation Name'] === relation);
  /** The scans of the audit log: one per monthly partition it reads (auth_audit.audit_events_YYYY_MM and _default). */
  const eventScans = (all: PlanNode[]) => all.filter((n) => /^audit_events_(\d{4}_\d{2}|default)$/.test(n['Relation Name'] ?? ''));
  /** Every index the plan reads (Index Scan, Index Only Scan, Bitmap Index Scan). */
  const indexes = (all: PlanNode[]) => all.flatMap((n) => (n['Index Name'] ? [n['Index Name']] : []));
  const nodeTypes = (all: PlanNode[]) => all.map((n) => n['Node Type']);
  let lightUserId: string;

  beforeAll(async () => {
    const q = (text: string, params: unknown[] = []) => t.dataSource.query(text, params);
    await q(
      `INSERT INTO auth.users (email, password_hash, role, is_active, created_at)
       SELECT 'user' || g || '@bulk.example', 'x', (ARRAY['player','developer','admin']::auth.user_role[])[1 + g % 3], g % 10 <> 0,
              now() - g * interval '1 minute'
         FROM generate_series(1, 20000) g`,
    );
    [{ id: userId }] = await q(`INSERT INTO auth.users (email, password_hash) VALUES ('big@bulk.example', 'x') RETURNING id`);
    await q(
      `INSERT INTO auth.sessions (user_id, expires_at, last_used_at, user_agent)
       SELECT $1, now() + interval '1 day', now() - g * interval '1 second', 'bench' FROM generate_series(1, 1000) g`,
      [userId],
    );
    await q(
      `INSERT INTO auth.sessions (user_id, expires_at) SELECT id, now() + interval '1 day' FROM auth.users WHERE email LIKE 'user%'`,
    );
    // 100,000 events over the last 70 days (three months' partitions), in time order as ids are.
    await insertPastEvents(
      t.config.db.url!,
      `SELECT now() - make_interval(secs => (100000 - g) * 60.0) AS occurred_at,
              (ARRAY['login_succeeded','login_failed','logout','session_ended'])[1 + g % 4] AS type, $1::uuid AS user_id
         FROM generate_series(1, 100000) g`,
      [userId],
    );
    await q(
      `INSERT INTO auth.audit_events (type, user_id) SELECT 'user_registered', id FROM auth.users WHERE email LIKE 'user%'`,
    );
    [{ id: lightUserId }] = await q(`SELECT id FROM auth.users WHERE email = 'user77@bulk.example'`);
    await q(`INSERT INTO auth.audit_events (type, user_id, detail) SELECT 'role_changed', $1, '{}' FROM generate_series(1, 3)`, [lightUserId]);
    await q(`ANALYZE auth.users`);
    await q(`ANALYZE auth.sessions`);
    await q(`ANALYZE auth.audit_events`);
  }, 120_000);

  // For the user who owns most of the table, walking the primary key backwards and keeping their
  // rows is as good as their own index (the planner may pick either); both read one page in id order.
  it('me/events and events?user_id= read a page of the 100,000 in id order from each partition’s index, with no sort and no sequential scan', async () => {
    const [{ id: middle }] = await t.dataSource.query(`SELECT id FROM auth.audit_events WHERE user_id = $1 ORDER BY id OFFSET 50000 LIMIT 1`, [userId]);
    for (const query of [{ userId, limit: 50 }, { userId, before: String(middle), limit: 50 }]) {
      const all = await plan(eventPageQuery(query));
      const partitions = eventScans(all);
      expect(partitions.length).toBeGreaterThanOrEqual(3);
      expect(new Set(partitions.map((n) => n['Node Type']))).toEqual(new Set(['Index Scan']));
      for (const index of indexes(all)) expect(index).toMatch(/^audit_events_(\d{4}_\d{2}|default)_(user_id_id_idx|pkey)$/);
      expect(nodeTypes(all)).not.toContain('Sort');
      expect(nodeTypes(all)).toContain('Merge Append');
      // Run it: no partition's scan reads more than one page (limit + 1 rows) of its index.
      const [row] = await t.dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${eventPageQuery(query).text}`, eventPageQuery(query).params);
      const ran = eventScans(nodes((row['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan));
      for (const scan of ran) expect(scan['Actual Rows']).toBeLessThanOrEqual(51);
    }
    // A user with a handful of events: their own index in each partition (the planner may sort those few rows).
    const light = await plan(eventPageQuery({ userId: lightUserId, limit: 50 }));
    expect(indexes(light).length).toBeGreaterThan(0);
    for (const index of indexes(light)) expect(index).toMatch(/_user_id_id_idx$/);
  });

  it('events?type= reads a rare type from (type, id), and the unfiltered log from the primary key, partition by partition', async () => {
    const rare = await plan(eventPageQuery({ type: 'role_changed', limit: 50 }));
    expect(indexes(rare).length).toBeGreaterThan(0);
    for (const index of indexes(rare)) expect(index).toMatch(/_type_id_idx$/);
    const common = await plan(eventPageQuery({ type: 'logout', limit: 50 }));
    expect(eventScans(common).map((n) => n['Node Type'])).not.toContain('Seq Scan');
    const [{ id: recent }] = await t.dataSource.query(`SELECT max(id) - 10000 AS id FROM auth.audit_events`);
    const everything = await plan(eventPageQuery({ limit: 50, before: String(recent) }));
    expect(indexes(everything).length).toBeGreaterThanOrEqual(3);
    for (const index of indexes(everything)) expect(index).toMatch(/_pkey$/);
    // The rare type's few rows may be sorted; the 25,000 of a common type and the whole log never are.
    for (const all of [common, everything]) expect(nodeTypes(all)).not.toContain('Sort');
  });

  it('me/sessions reads the user’s sessions through the user_id index, never the whole table', async () => {
    const all = await plan({ text: LIVE_SESSIONS_QUERY, params: [userId, MAX_LISTED_SESSIONS] });
    expect(scans(all, 'sessions').map((n) => n['Node Type'])).not.toContain('Seq Scan');
    expect(indexes(all)).toEqual(['idx_sessions_user_id']);
  });

  it('users?role=&is_active= pages in creation order from (role, is_active, created_at, id), either filter alone too; users?email= from the prefix index', async () => {
    const filtered = await plan(userPageQuery({ role: 'developer', isActive: true, limit: 50 }));
    expect(scans(filtered, 'users').map((n) => n['Index Name'])).toEqual(['idx_users_role_is_active_created_at_id']);
    expect(filtered.map((n) => n['Node Type'])).not.toContain('Sort');

    // A role without a state, or a state without a role: one ordered scan of the composite index per
    // (role, state) pair, merged, each reading at most a page (never all of a role's users sorted,
    // nor the creation-order index walked past the others).
    // A state alone: one scan per role (USER_ROLES: guests are a role since issue 25).
    for (const [query, pairs] of [[{ role: 'developer' as const, limit: 50 }, 2], [{ isActive: false, limit: 50 }, USER_ROLES.length]] as const) {
      const merged = await plan(userPageQuery(query));
      expect(new Set(indexes(merged))).toEqual(new Set(['idx_users_role_is_active_created_at_id']));
      expect(indexes(merged)).toHaveLength(pairs);
      expect(nodeTypes(merged)).not.toContain('Sort');
      const q = userPageQuery(query);
      const [row] = await t.dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.text}`, q.params);
      for (const scan of nodes((row['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan).filter((n) => n['Relation Name'] === 'users')) {
        expect(scan['Actual Rows']).toBeLessThanOrEqual(51);
      }
    }

    const everyone = await plan(userPageQuery({ limit: 50 }));
    expect(scans(everyone, 'users').map((n) => n['Index Name'])).toEqual(['idx_users_created_at_id']);

    // A prefix that matches 11,111 of the 20,000 users: its pages come in email order straight from
    // the pattern index (the order it keeps under any collation), a page read at a time; never
    // all the matches sorted, nor the creation-order index walked past the users that do not match.
    for (const after of [undefined, Buffer.from('@user15000@bulk.example').toString('base64url')]) {
      const query = userPageQuery({ emailPrefix: 'user1', after, limit: 50 });
      const prefix = await plan(query);
      expect(indexes(prefix)).toEqual(['idx_users_email_pattern']);
      expect(nodeTypes(prefix)).not.toContain('Sort');
      const [row] = await t.dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`, query.params);
      const ran = nodes((row['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan).filter((n) => n['Relation Name'] === 'users');
      expect(ran.map((n) => n['Actual Rows'])).toEqual([51]);
    }
  });

  // 62 first names over 31,000 emails ("mia.123@mail.example"), as the scale bench seeds them: each
  // name a sixtieth of the table, a bucket or two of the histogram. On this server's C collation
  // the UNIQUE index on email serves LIKE 'mia%' too, and with a LIKE the planner judged half of
  // these ranges at a few rows and took that index, reading all ~500 matches and sorting them for
  // each page. The range operators ~>=~/~<~ leave it the pattern index, read a page at a time.
  it('users?email= reads one page of the pattern index for every name of a table of many names, never all the matches sorted', async () => {
    const names = NAMES.split(' ');
    await t.dataSource.query(
      `INSERT INTO auth.users (email, password_hash)
       SELECT ($1::text[])[1 + g % 62] || '.' || g || '@' || (ARRAY['mail.example','post.example'])[1 + g % 2], 'x'
         FROM generate_series(1, 31000) g`,
      [names],
    );
    await t.dataSource.query(`ANALYZE auth.users`);
    const misread: string[] = [];
    for (const name of names) {
      const query = userPageQuery({ emailPrefix: name, limit: 50 });
      const [row] = await t.dataSource.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`, query.params);
      const all = nodes((row['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan);
      const read = all.filter((n) => n['Relation Name'] === 'users').map((n) => `${n['Index Name'] ?? n['Node Type']} (${n['Actual Rows']})`);
      if (read.join() !== 'idx_users_email_pattern (51)' || nodeTypes(all).includes('Sort')) misread.push(`${name}: ${read.join(', ')}`);
    }
    expect(misread).toEqual([]);
  });
});

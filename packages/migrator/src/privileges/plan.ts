import { quoteIdent } from '../history';
import { PUBLIC, type CatalogTable, type PrivilegeCatalog } from './catalog';
import { TABLE_PRIVILEGES, type PrivilegeSettings, type TableGrant, type TablePrivilege } from './policy';

/** A difference between the policy and the database, with the statement that removes it. */
export interface PrivilegeDrift {
  /** missing: the policy grants it and the database does not; extra: the other way round. */
  readonly kind: 'missing' | 'extra';
  readonly grantee: string;
  /** SELECT, INSERT, UPDATE, DELETE, TRUNCATE, ..., USAGE, CREATE, or `default SELECT` for default privileges. */
  readonly privilege: string;
  /** `schema`, `schema.table`, `schema.table (col, ...)` or `sequence schema.name`. */
  readonly object: string;
  readonly message: string;
  readonly sql: string;
}

/** A role of the policy that does not exist, and how to make it. */
export interface MissingRole {
  readonly key: string;
  readonly name: string;
  readonly message: string;
  readonly sql: string;
}

export interface PrivilegePlan {
  /** Every statement that brings the database to the policy, in the order to run them. */
  readonly statements: readonly string[];
  readonly drift: readonly PrivilegeDrift[];
  readonly missingRoles: readonly MissingRole[];
  /** The policy names what the database lacks (a table, a column): fix the policy or the schema. */
  readonly policyProblems: readonly string[];
  /**
   * The policy problems that name a table or column the database does not have (yet): a migration
   * still pending may create it, so `up` to a target short of head does not count them as unmet.
   */
  readonly missingObjects: readonly string[];
}

/**
 * One privilege on one object: the unit compared. Column null = whole table; table null = schema;
 * `sequence`: `table` names a sequence (and, for default privileges, the entry is ON SEQUENCES).
 */
interface Entry {
  readonly grantee: string;
  readonly privilege: string;
  readonly schema: string;
  readonly table: string | null;
  readonly column: string | null;
  readonly sequence?: boolean;
}

const keyOf = (e: Entry) => JSON.stringify([e.grantee, e.privilege, e.schema, e.table, e.column, e.sequence === true]);
const role = (name: string) => (name === PUBLIC ? PUBLIC : quoteIdent(name));
const rel = (schema: string, table: string) => `${quoteIdent(schema)}.${quoteIdent(table)}`;

/** The columns a grant of `privilege` covers on `table`: 'table' for the whole table, else a list. */
function resolve(grant: TableGrant | undefined, privilege: TablePrivilege, table: CatalogTable, problems: string[]): 'table' | string[] | null {
  if (!grant) return null;
  if (Array.isArray(grant)) return grant.includes(privilege) ? 'table' : null;
  const spec = (grant as Exclude<TableGrant, readonly TablePrivilege[]>)[privilege];
  if (spec === undefined) return null;
  if (spec === true) return 'table';
  if ('columns' in spec) {
    for (const c of spec.columns) {
      if (!table.columns.includes(c)) problems.push(`the policy grants ${privilege} on ${table.schema}.${table.name}.${c}, which does not exist`);
    }
    return spec.columns.filter((c) => table.columns.includes(c));
  }
  return table.columns.filter((c) => !spec.except.includes(c));
}

/**
 * What the policy asks for, compared with the catalogs: the drift, and the GRANT/REVOKE statements
 * that remove it. Pure. Running the statements and planning again gives an empty plan.
 */
export function planPrivileges(settings: PrivilegeSettings, catalog: PrivilegeCatalog): PrivilegePlan {
  const { policy } = settings;
  const problems: string[] = [];
  const missingRoles: MissingRole[] = [];
  const desired = new Map<string, Entry>();
  const want = (e: Entry) => desired.set(keyOf(e), e);
  const desiredDefaults = new Map<string, Entry>();

  for (const [key, grants] of Object.entries(policy.roles)) {
    const { name, password } = settings.roles[key]!;
    if (!catalog.existingRoles.has(name)) {
      const sql = `CREATE ROLE ${quoteIdent(name)} LOGIN${password ? " PASSWORD '***'" : ''}`;
      missingRoles.push({
        key,
        name,
        sql,
        message:
          `role ${name} (${key}) does not exist: create it (${sql}${password ? '' : `; then ALTER ROLE ${quoteIdent(name)} PASSWORD '...'`}) ` +
          `or let the migration create it (allowed only to a superuser or a role with CREATEROLE, and only when configured to)`,
      });
      continue;
    }
    for (const [schema, tables] of Object.entries(grants)) {
      if (!catalog.schemas.includes(schema)) continue;
      if (Object.keys(tables).length) want({ grantee: name, privilege: 'USAGE', schema, table: null, column: null });
      for (const named of Object.keys(tables)) {
        if (named !== '*' && !catalog.tables.some((t) => t.schema === schema && t.name === named)) {
          problems.push(`the policy grants ${key} privileges on ${schema}.${named}, which does not exist`);
        }
      }
      for (const table of catalog.tables.filter((t) => t.schema === schema)) {
        for (const privilege of TABLE_PRIVILEGES) {
          const covers = [resolve(tables['*'], privilege, table, problems), resolve(tables[table.name], privilege, table, problems)];
          const upper = privilege.toUpperCase();
          if (covers.includes('table')) {
            want({ grantee: name, privilege: upper, schema, table: table.name, column: null });
            continue;
          }
          for (const column of new Set(covers.flatMap((c) => (Array.isArray(c) ? c : [])))) {
            want({ grantee: name, privilege: upper, schema, table: table.name, column });
          }
        }
      }
      // Taking a column's default from a sequence (serial) needs USAGE on it: with INSERT, or UPDATE
      // (SET col = DEFAULT), of that column. Without it the INSERT fails though the table allows it.
      for (const d of catalog.sequenceDefaults.filter((x) => x.tableSchema === schema && catalog.schemas.includes(x.schema))) {
        const may = ['INSERT', 'UPDATE'].some((privilege) =>
          [null, d.column].some((column) => desired.has(keyOf({ grantee: name, privilege, schema, table: d.table, column }))),
        );
        if (!may) continue;
        want({ grantee: name, privilege: 'USAGE', schema: d.schema, table: null, column: null });
        want({ grantee: name, privilege: 'USAGE', schema: d.schema, table: d.sequence, column: null, sequence: true });
      }
      // Tables made later get the whole-table privileges of `*` at CREATE time (and their serial
      // sequences USAGE, with INSERT); columns wait for the next up.
      const wildcard = tables['*'];
      for (const privilege of TABLE_PRIVILEGES) {
        const whole = Array.isArray(wildcard) ? wildcard.includes(privilege) : wildcard && (wildcard as Record<string, unknown>)[privilege] === true;
        if (whole) {
          const e = { grantee: name, privilege: privilege.toUpperCase(), schema, table: null, column: null };
          desiredDefaults.set(keyOf(e), e);
          if (privilege === 'insert') {
            const usage = { grantee: name, privilege: 'USAGE', schema, table: null, column: null, sequence: true };
            desiredDefaults.set(keyOf(usage), usage);
          }
        }
      }
    }
  }

  const current = new Map<string, Entry>(catalog.grants.map((g) => [keyOf(g), g]));
  const currentDefaults = new Map<string, Entry>(
    catalog.defaults
      .filter((d) => d.owner === catalog.currentUser)
      .map((d) => {
        const e = { grantee: d.grantee, privilege: d.privilege, schema: d.schema, table: null, column: null, sequence: d.sequences === true };
        return [keyOf(e), e];
      }),
  );

  const extra = [...current.values()].filter((e) => !desired.has(keyOf(e)));
  // REVOKE on a table also takes the same privilege away from every column of it: a column
  // privilege the policy wants is granted again after such a revoke.
  const revokedWhole = new Set(extra.filter((e) => e.table && !e.column).map((e) => JSON.stringify([e.grantee, e.privilege, e.schema, e.table])));
  const stillHeld = (e: Entry) =>
    current.has(keyOf(e)) && !(e.column && revokedWhole.has(JSON.stringify([e.grantee, e.privilege, e.schema, e.table])));
  const missing = [...desired.values()].filter((e) => !stillHeld(e));
  const extraColumns = extra.filter((e) => e.column && !revokedWhole.has(JSON.stringify([e.grantee, e.privilege, e.schema, e.table])));

  const drift: PrivilegeDrift[] = [];
  const statements: string[] = [];
  const describe = (e: Entry, columns?: string[]) =>
    e.table === null
      ? `schema ${e.schema}`
      : `${e.sequence ? 'sequence ' : ''}${e.schema}.${e.table}${columns ? ` (${columns.join(', ')})` : ''}`;

  // Revokes first (whole tables, then columns, then schemas), then grants (schemas first). One
  // statement per grantee and object: whole-table privileges together, column privileges per privilege.
  const ORDER = ['USAGE', 'CREATE', 'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER', 'MAINTAIN'];
  const byOrder = (a: string, b: string) => ORDER.indexOf(a) - ORDER.indexOf(b) || a.localeCompare(b);
  const groups = (entries: Entry[]) => {
    const out = new Map<string, { e: Entry; privileges: string[]; columns: string[] }>();
    for (const e of entries) {
      const k = JSON.stringify([e.grantee, e.schema, e.table, e.column === null ? null : e.privilege, e.sequence === true]);
      const g = out.get(k) ?? { e, privileges: [], columns: [] };
      if (!g.privileges.includes(e.privilege)) g.privileges.push(e.privilege);
      if (e.column) g.columns.push(e.column);
      out.set(k, g);
    }
    return [...out.values()]
      .map((g) => ({ ...g, privileges: g.privileges.sort(byOrder) }))
      .sort((a, b) => JSON.stringify([a.e.schema, a.e.table, a.e.grantee]).localeCompare(JSON.stringify([b.e.schema, b.e.table, b.e.grantee])));
  };
  const on = (e: Entry, privileges: string[], columns: string[]) =>
    e.table === null
      ? `${privileges.join(', ')} ON SCHEMA ${quoteIdent(e.schema)}`
      : `${privileges.join(', ')}${columns.length ? ` (${columns.map(quoteIdent).join(', ')})` : ''} ON ${e.sequence ? 'SEQUENCE ' : ''}${rel(e.schema, e.table)}`;

  const change = (entries: Entry[], verb: 'GRANT' | 'REVOKE') => {
    for (const { e, privileges, columns } of groups(entries)) {
      const sql = `${verb} ${on(e, privileges, columns)} ${verb === 'GRANT' ? 'TO' : 'FROM'} ${role(e.grantee)}`;
      const object = describe(e, columns.length ? columns : undefined);
      statements.push(sql);
      drift.push({
        kind: verb === 'GRANT' ? 'missing' : 'extra',
        grantee: e.grantee,
        privilege: privileges.join(', '),
        object,
        message:
          verb === 'GRANT'
            ? `${e.grantee} lacks ${privileges.join(', ')} on ${object}, which the policy grants`
            : `${e.grantee} has ${privileges.join(', ')} on ${object}, which the policy does not grant`,
        sql,
      });
    }
  };
  // Sequences after tables: nothing depends on the order, but a reader looks for a table's grants first.
  change(extra.filter((e) => e.table && !e.column && !e.sequence), 'REVOKE');
  change(extraColumns, 'REVOKE');
  change(extra.filter((e) => e.sequence), 'REVOKE');
  change(extra.filter((e) => e.table === null), 'REVOKE');
  change(missing.filter((e) => e.table === null), 'GRANT');
  change(missing.filter((e) => e.table !== null && !e.sequence), 'GRANT');
  change(missing.filter((e) => e.sequence), 'GRANT');

  const defaults = (entries: Entry[], verb: 'GRANT' | 'REVOKE') => {
    for (const { e, privileges } of groups(entries)) {
      const list = privileges.join(', ');
      const kind = e.sequence ? 'sequences' : 'tables';
      const sql =
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(catalog.currentUser)} IN SCHEMA ${quoteIdent(e.schema)} ` +
        `${verb} ${list} ON ${kind.toUpperCase()} ${verb === 'GRANT' ? 'TO' : 'FROM'} ${role(e.grantee)}`;
      statements.push(sql);
      drift.push({
        kind: verb === 'GRANT' ? 'missing' : 'extra',
        grantee: e.grantee,
        privilege: `default ${list}`,
        object: `new ${kind} of ${catalog.currentUser} in schema ${e.schema}`,
        message:
          verb === 'GRANT'
            ? `${e.grantee} would not get ${list} on ${kind} ${catalog.currentUser} creates in ${e.schema}, which the policy grants on every ${kind.slice(0, -1)} there`
            : `${e.grantee} gets ${list} on every ${kind.slice(0, -1)} ${catalog.currentUser} creates in ${e.schema}, which the policy does not grant`,
        sql,
      });
    }
  };
  defaults([...currentDefaults.values()].filter((e) => !desiredDefaults.has(keyOf(e))), 'REVOKE');
  defaults([...desiredDefaults.values()].filter((e) => !currentDefaults.has(keyOf(e))), 'GRANT');

  const policyProblems = [...new Set(problems)];
  // Both "does not exist" messages are made above (a table, a column of a table).
  const missingObjects = policyProblems.filter((p) => p.endsWith(', which does not exist'));
  return { statements, drift, missingRoles, policyProblems, missingObjects };
}

/**
 * Rules for migrations that lock or destroy, over PostgreSQL's own parse tree (libpg-query).
 * The set and the safe alternatives follow squawk (sbdchd/squawk, crates/squawk_linter/src/rules/);
 * like squawk, a table created earlier in the same migration is "new": nobody reads it yet, so
 * locking it is harmless.
 */

export type Severity = 'error' | 'warning';

export interface RuleInfo {
  readonly severity: Severity;
  /** What goes wrong on a live database. */
  readonly why: string;
  /** The safe alternative. */
  readonly fix: string;
}

export const RULES = {
  'adding-field-with-default': {
    severity: 'error',
    why: 'a volatile default (e.g. gen_random_uuid(), clock_timestamp()) makes ADD COLUMN rewrite the whole table under an ACCESS EXCLUSIVE lock',
    fix: 'add the column without a default (or with a constant one), set the default in a separate statement, and backfill existing rows in batches',
  },
  'adding-foreign-key-constraint': {
    severity: 'error',
    why: 'adding a foreign key scans the table while holding SHARE ROW EXCLUSIVE locks on both tables, blocking writes',
    fix: 'add it with NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration (validation takes a weaker lock)',
  },
  'adding-not-nullable-field': {
    severity: 'error',
    why: 'SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock',
    fix: 'add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration, then SET NOT NULL (PostgreSQL 12+ uses the check, no scan) and drop the check',
  },
  'adding-required-field': {
    severity: 'error',
    why: 'a NOT NULL column without a default fails on a table that has rows, and breaks inserts of clients that do not know it',
    fix: 'add it nullable (or with a constant default), backfill, then enforce NOT NULL as adding-not-nullable-field describes',
  },
  'ban-drop-column': {
    severity: 'error',
    why: 'dropping a column loses its data, and running code that still selects it fails',
    fix: 'stop using the column in every service and deploy that first; drop it in a later migration, acknowledged',
  },
  'ban-drop-table': {
    severity: 'error',
    why: 'dropping a table loses its data, and running code that still uses it fails',
    fix: 'stop using the table in every service and deploy that first; drop it in a later migration, acknowledged',
  },
  'changing-column-type': {
    severity: 'error',
    why: 'changing a column type usually rewrites the table (and its indexes) under an ACCESS EXCLUSIVE lock, and may narrow or fail on existing data',
    fix: 'add a column of the new type, write both, backfill in batches, switch readers, then drop the old column',
  },
  'constraint-missing-not-valid': {
    severity: 'error',
    why: 'adding a CHECK constraint (or validating one in the same transaction that adds it) scans the table under an ACCESS EXCLUSIVE lock',
    fix: 'add it with NOT VALID, and VALIDATE CONSTRAINT in a separate migration',
  },
  'disallowed-unique-constraint': {
    severity: 'error',
    why: 'ADD CONSTRAINT ... UNIQUE builds its index while blocking reads and writes of the table',
    fix: 'CREATE UNIQUE INDEX CONCURRENTLY (in a migration with transaction = false), then ADD CONSTRAINT ... UNIQUE USING INDEX',
  },
  'renaming-column': {
    severity: 'error',
    why: 'renaming a column breaks every running client that still uses the old name',
    fix: 'add the new column, write both, backfill, switch readers, drop the old one (expand and contract)',
  },
  'renaming-table': {
    severity: 'error',
    why: 'renaming a table breaks every running client that still uses the old name',
    fix: 'create the new table (or a view with the old name), migrate readers and writers, then drop the old one',
  },
  'require-concurrent-index-creation': {
    severity: 'error',
    why: 'CREATE INDEX without CONCURRENTLY blocks writes to the table for the whole build',
    fix: 'CREATE INDEX CONCURRENTLY IF NOT EXISTS, in a migration with transaction = false',
  },
  'require-concurrent-index-deletion': {
    severity: 'error',
    why: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table',
    fix: 'DROP INDEX CONCURRENTLY IF EXISTS, in a migration with transaction = false',
  },
  'ban-concurrent-index-creation-in-transaction': {
    severity: 'error',
    why: 'CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction block: the migration fails',
    fix: 'put it in a migration of its own with `transaction = false`',
  },
  'prefer-robust-stmts': {
    severity: 'warning',
    why: 'a migration without a transaction that fails halfway leaves its first statements applied, and a retry then fails on them',
    fix: 'use IF NOT EXISTS / IF EXISTS so that the migration can be run again',
  },
  'ban-enum-value-removal': {
    severity: 'error',
    why: 'recreating an enum type (how TypeORM removes or reorders values) rewrites every column of that type under an ACCESS EXCLUSIVE lock and fails if a row holds a removed value',
    fix: 'only add values (ALTER TYPE ... ADD VALUE); to retire one, stop writing it, migrate the rows, and acknowledge the removal',
  },
  'ban-drop-type': {
    severity: 'warning',
    why: 'dropping a type fails while any column still uses it',
    fix: 'drop the columns that use it first, in an earlier deploy',
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

export interface StatementContext {
  /** Tables created earlier in this migration (lower-cased names): no locking concern. */
  readonly newTables: Set<string>;
  /** The migration runs in a transaction (TypeORM's default; `transaction = false` opts out). */
  readonly inTransaction: boolean;
  /** Constraints added NOT VALID earlier in this migration. */
  readonly notValidConstraints: Set<string>;
  /** Enum types renamed earlier in this migration (old name → renamed-to). */
  readonly renamedTypes: Map<string, string>;
}

export interface RawFinding {
  readonly rule: RuleId;
  readonly detail: string;
}

type Node = Record<string, unknown>;
const str = (n: unknown): string => ((n as { String?: { sval?: string } })?.String?.sval ?? '') as string;
const nameList = (l: unknown): string => ((l as unknown[]) ?? []).map(str).join('.');
const rel = (r: unknown): string => String((r as { relname?: string })?.relname ?? '').toLowerCase();

// Defaults that PostgreSQL evaluates once for ADD COLUMN (no rewrite): constants and the stable
// transaction-time functions.
const ONCE_EVALUATED = new Set(['now', 'transaction_timestamp', 'statement_timestamp', 'current_timestamp']);

function isVolatileDefault(expr: unknown): boolean {
  const e = expr as Node;
  if (!e) return false;
  if ('A_Const' in e || 'SQLValueFunction' in e) return false;
  if ('TypeCast' in e) return isVolatileDefault((e.TypeCast as Node).arg);
  if ('FuncCall' in e) return !ONCE_EVALUATED.has(nameList((e.FuncCall as Node).funcname).split('.').pop()!.toLowerCase());
  return true;
}

/** Findings for one parsed statement; updates the context (new tables, renamed types). */
export function checkStatement(stmt: Node, ctx: StatementContext): RawFinding[] {
  const out: RawFinding[] = [];
  const [kind] = Object.keys(stmt);
  const node = stmt[kind!] as Node;

  switch (kind) {
    case 'CreateStmt': {
      const table = rel(node.relation);
      ctx.newTables.add(table);
      if (!ctx.inTransaction && !node.if_not_exists) out.push({ rule: 'prefer-robust-stmts', detail: `CREATE TABLE ${table} without IF NOT EXISTS` });
      break;
    }
    case 'IndexStmt': {
      const table = rel(node.relation);
      const concurrent = !!node.concurrent;
      if (concurrent && ctx.inTransaction) {
        out.push({ rule: 'ban-concurrent-index-creation-in-transaction', detail: `CREATE INDEX CONCURRENTLY ${node.idxname ?? ''} in a migration that runs in a transaction` });
      }
      if (!concurrent && !ctx.newTables.has(table)) {
        out.push({ rule: 'require-concurrent-index-creation', detail: `CREATE ${node.unique ? 'UNIQUE ' : ''}INDEX ${node.idxname ?? ''} on existing table ${table}` });
      }
      if (!ctx.inTransaction && !node.if_not_exists) out.push({ rule: 'prefer-robust-stmts', detail: `CREATE INDEX ${node.idxname ?? ''} without IF NOT EXISTS` });
      break;
    }
    case 'DropStmt': {
      // Tables and indexes are named by a List of strings; types by a TypeName.
      const objects = ((node.objects as Node[]) ?? []).map((o) =>
        nameList((o.List as { items?: unknown[] } | undefined)?.items ?? (o.TypeName as { names?: unknown[] } | undefined)?.names ?? []),
      );
      const type = node.removeType;
      if (type === 'OBJECT_TABLE') {
        for (const t of objects) {
          const table = t.split('.').pop()!.toLowerCase();
          if (!ctx.newTables.has(table)) out.push({ rule: 'ban-drop-table', detail: `DROP TABLE ${t}` });
        }
      } else if (type === 'OBJECT_INDEX') {
        if (node.concurrent && ctx.inTransaction) {
          out.push({ rule: 'ban-concurrent-index-creation-in-transaction', detail: `DROP INDEX CONCURRENTLY ${objects.join(', ')} in a migration that runs in a transaction` });
        }
        if (!node.concurrent) out.push({ rule: 'require-concurrent-index-deletion', detail: `DROP INDEX ${objects.join(', ')}` });
        if (!ctx.inTransaction && !node.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `DROP INDEX ${objects.join(', ')} without IF EXISTS` });
      } else if (type === 'OBJECT_TYPE') {
        for (const t of objects) {
          const renamedFrom = [...ctx.renamedTypes.entries()].find(([, to]) => to === t.split('.').pop());
          if (renamedFrom) {
            out.push({ rule: 'ban-enum-value-removal', detail: `enum type ${renamedFrom[0]} is recreated (renamed to ${renamedFrom[1]}, replaced, dropped)` });
          } else out.push({ rule: 'ban-drop-type', detail: `DROP TYPE ${t}` });
        }
      }
      break;
    }
    case 'RenameStmt': {
      const type = node.renameType;
      if (type === 'OBJECT_COLUMN' && !ctx.newTables.has(rel(node.relation))) {
        out.push({ rule: 'renaming-column', detail: `${rel(node.relation)}.${String(node.subname)} renamed to ${String(node.newname)}` });
      } else if (type === 'OBJECT_TABLE' && !ctx.newTables.has(rel(node.relation))) {
        out.push({ rule: 'renaming-table', detail: `${rel(node.relation)} renamed to ${String(node.newname)}` });
      } else if (type === 'OBJECT_TYPE') {
        const from = nameList((node.object as { List?: { items?: unknown[] } })?.List?.items ?? []).split('.').pop()!;
        ctx.renamedTypes.set(from, String(node.newname));
      }
      break;
    }
    case 'AlterTableStmt': {
      const table = rel(node.relation);
      const isNew = ctx.newTables.has(table);
      for (const c of (node.cmds as Node[]) ?? []) {
        const cmd = c.AlterTableCmd as Node;
        const sub = cmd.subtype;
        if (sub === 'AT_AddColumn') {
          const def = (cmd.def as Node).ColumnDef as Node;
          const col = `${table}.${String(def.colname)}`;
          const constraints = ((def.constraints as Node[]) ?? []).map((x) => x.Constraint as Node);
          const dflt = constraints.find((x) => x.contype === 'CONSTR_DEFAULT');
          const notNull = constraints.some((x) => x.contype === 'CONSTR_NOTNULL' || x.contype === 'CONSTR_PRIMARY');
          const fk = constraints.find((x) => x.contype === 'CONSTR_FOREIGN');
          if (!isNew && dflt && isVolatileDefault(dflt.raw_expr)) out.push({ rule: 'adding-field-with-default', detail: `${col} added with a volatile default` });
          if (!isNew && notNull && !dflt) out.push({ rule: 'adding-required-field', detail: `${col} added NOT NULL without a default` });
          if (!isNew && fk && !fk.skip_validation) out.push({ rule: 'adding-foreign-key-constraint', detail: `${col} added with REFERENCES ${rel(fk.pktable)}` });
          if (!ctx.inTransaction && !cmd.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `ADD COLUMN ${col} without IF NOT EXISTS` });
        } else if (sub === 'AT_DropColumn' && !isNew) {
          out.push({ rule: 'ban-drop-column', detail: `${table}.${String(cmd.name)} dropped` });
        } else if (sub === 'AT_AlterColumnType' && !isNew) {
          const def = (cmd.def as Node).ColumnDef as Node;
          const type = nameList((def.typeName as Node)?.names).replace(/^pg_catalog\./, '');
          out.push({ rule: 'changing-column-type', detail: `${table}.${String(cmd.name)} changed to ${type}` });
        } else if (sub === 'AT_SetNotNull' && !isNew) {
          out.push({ rule: 'adding-not-nullable-field', detail: `${table}.${String(cmd.name)} SET NOT NULL` });
        } else if (sub === 'AT_AddConstraint' && !isNew) {
          const con = (cmd.def as Node).Constraint as Node;
          const name = String(con.conname ?? '');
          if (con.skip_validation) ctx.notValidConstraints.add(name);
          if (con.contype === 'CONSTR_FOREIGN' && !con.skip_validation) {
            out.push({ rule: 'adding-foreign-key-constraint', detail: `${name || 'foreign key'} on ${table} references ${rel(con.pktable)}` });
          } else if (con.contype === 'CONSTR_CHECK' && !con.skip_validation) {
            out.push({ rule: 'constraint-missing-not-valid', detail: `CHECK ${name} on ${table} added without NOT VALID` });
          } else if (con.contype === 'CONSTR_UNIQUE' && !con.indexname) {
            out.push({ rule: 'disallowed-unique-constraint', detail: `UNIQUE ${name} on ${table} builds its index under lock` });
          }
        } else if (sub === 'AT_ValidateConstraint' && ctx.inTransaction && ctx.notValidConstraints.has(String(cmd.name))) {
          out.push({ rule: 'constraint-missing-not-valid', detail: `${String(cmd.name)} is validated in the same transaction that added it NOT VALID` });
        }
      }
      break;
    }
  }
  return out;
}

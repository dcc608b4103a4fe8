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
  'transaction-nesting': {
    severity: 'error',
    why: 'TypeORM already runs the migration in a transaction: a COMMIT or BEGIN inside ends or nests it, so a later failure leaves the first half applied and the history wrong',
    fix: 'remove BEGIN/COMMIT/ROLLBACK; for statements that cannot run in a transaction use a migration of its own with transaction = false',
  },
  'ban-drop-not-null': {
    severity: 'error',
    why: 'dropping NOT NULL lets NULLs in that running readers (and other services) do not expect',
    fix: 'make every reader accept NULL and deploy that first, then drop the constraint, acknowledged',
  },
  'prefer-bigint-over-int': {
    severity: 'warning',
    why: 'a 32-bit integer key or counter runs out at 2^31, and widening it later rewrites the table under an ACCESS EXCLUSIVE lock',
    fix: 'use bigint (int8) for ids and counters (TypeORM: type: "bigint")',
  },
  'prefer-identity': {
    severity: 'warning',
    why: 'serial creates a sequence with its own owner and grants that dumps, copies and permission changes must handle separately',
    fix: 'use bigint GENERATED BY DEFAULT AS IDENTITY (TypeORM: @PrimaryGeneratedColumn("identity")), or a uuid default',
  },
  'prefer-timestamptz': {
    severity: 'warning',
    why: 'timestamp without time zone stores wall-clock time: values depend on the session TimeZone of whoever wrote them',
    fix: 'use timestamptz (TypeORM: type: "timestamptz")',
  },
  'prefer-text-field': {
    severity: 'warning',
    why: 'changing a varchar(n) length later takes an ACCESS EXCLUSIVE lock (and shortening it rewrites the table); the limit is rarely the right place for validation',
    fix: 'use text, with a CHECK (char_length(col) <= n) added NOT VALID if a limit is needed',
  },
  'ban-char-field': {
    severity: 'warning',
    why: 'char(n) pads values with spaces and is never faster than text in PostgreSQL',
    fix: 'use text (or varchar), with a CHECK constraint for a fixed length',
  },
  'adding-serial-primary-key-field': {
    severity: 'error',
    why: 'adding a serial/identity primary key column rewrites the table and builds its unique index under an ACCESS EXCLUSIVE lock',
    fix: 'add the column nullable, backfill in batches, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX',
  },
  'require-concurrent-reindex': {
    severity: 'error',
    why: 'REINDEX without CONCURRENTLY blocks writes to the table (and reads that use the index) for the whole rebuild',
    fix: 'REINDEX ... CONCURRENTLY, in a migration with transaction = false',
  },
  'prefer-repack': {
    severity: 'warning',
    why: 'VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock, blocking reads and writes',
    fix: 'use pg_repack (or REPACK (CONCURRENTLY) from PostgreSQL 19), outside migrations',
  },
  'identifier-too-long': {
    severity: 'error',
    why: 'PostgreSQL truncates names longer than 63 bytes without an error: the object gets another name than the one written, and TypeORM then sees a difference for ever',
    fix: 'shorten the name to at most 63 bytes (give TypeORM an explicit name for long index and constraint names)',
  },
  'ban-truncate-cascade': {
    severity: 'error',
    why: 'TRUNCATE ... CASCADE also empties every table that references this one, recursively, including other services\' tables',
    fix: 'truncate the tables you mean explicitly, or delete the rows you mean',
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

export interface StatementContext {
  /** Tables created earlier in this migration (lower-cased names): no locking concern. */
  readonly newTables: Set<string>;
  /**
   * The statement runs inside a transaction: TypeORM's for the migration (unless `transaction =
   * false`), or one the migration opened itself; a COMMIT inside the migration ends it.
   */
  inTransaction: boolean;
  /** TypeORM wraps the whole migration in a transaction (`transaction` is not false). */
  readonly wrapped: boolean;
  /** Constraints added NOT VALID earlier in this migration's current transaction. */
  readonly notValidConstraints: Set<string>;
  /** CHECK (col IS NOT NULL) constraints seen added: constraint name → table.column. */
  readonly notNullChecks: Map<string, string>;
  /**
   * Tables with a constraint validated earlier in this migration, and the column its check is
   * known to cover (null: defined in an earlier migration, so not known here).
   */
  readonly validated: Map<string, Set<string | null>>;
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

// Functions PostgreSQL evaluates once for ADD COLUMN ... DEFAULT (no rewrite): the stable
// transaction-time ones and common immutable ones. Any other call counts as volatile.
const ONCE_EVALUATED = new Set([
  'now', 'transaction_timestamp', 'statement_timestamp', 'current_timestamp', 'current_date', 'localtimestamp',
  'lower', 'upper', 'btrim', 'trim', 'concat', 'coalesce', 'make_interval', 'to_jsonb', 'jsonb_build_object', 'json_build_object',
  'jsonb_build_array', 'array_fill', 'make_date', 'make_timestamptz', 'date_trunc', 'md5', 'length', 'abs', 'round',
]);

/** A default that makes ADD COLUMN rewrite the table: anything but constants and once-evaluated expressions of them. */
function isVolatileDefault(expr: unknown): boolean {
  const e = expr as Node;
  if (!e) return false;
  if ('A_Const' in e || 'SQLValueFunction' in e) return false;
  if ('TypeCast' in e) return isVolatileDefault((e.TypeCast as Node).arg);
  if ('A_Expr' in e) return isVolatileDefault((e.A_Expr as Node).lexpr) || isVolatileDefault((e.A_Expr as Node).rexpr);
  if ('A_ArrayExpr' in e) return ((e.A_ArrayExpr as Node).elements as unknown[] | undefined ?? []).some(isVolatileDefault);
  if ('FuncCall' in e) {
    const f = e.FuncCall as Node;
    return !ONCE_EVALUATED.has(nameList(f.funcname).split('.').pop()!.toLowerCase()) || ((f.args as unknown[] | undefined) ?? []).some(isVolatileDefault);
  }
  return true;
}

export const MAX_IDENTIFIER_BYTES = 63;

/** Type names as the parser gives them (pg_catalog.int4, serial...), without the schema. */
const typeOf = (def: Node): string => nameList((def.typeName as Node)?.names).replace(/^pg_catalog\./, '').toLowerCase();
const SERIAL = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);
const INT32 = new Set(['int4', 'integer', 'int', 'serial', 'serial4']);

/** The style findings of one column definition (CREATE TABLE or ADD COLUMN). */
function columnTypeFindings(table: string, def: Node): RawFinding[] {
  const out: RawFinding[] = [];
  const type = typeOf(def);
  const col = `${table}.${String(def.colname)}`;
  if (SERIAL.has(type)) out.push({ rule: 'prefer-identity', detail: `${col} is ${type}` });
  if (INT32.has(type)) out.push({ rule: 'prefer-bigint-over-int', detail: `${col} is ${type === 'int4' ? 'integer' : type}` });
  if (type === 'timestamp') out.push({ rule: 'prefer-timestamptz', detail: `${col} is timestamp without time zone` });
  if (type === 'varchar' && ((def.typeName as Node).typmods as unknown[] | undefined)?.length) out.push({ rule: 'prefer-text-field', detail: `${col} is varchar with a length` });
  if (type === 'bpchar' || type === 'char') out.push({ rule: 'ban-char-field', detail: `${col} is char(n)` });
  return out;
}

/**
 * Identifiers longer than PostgreSQL keeps, read from the SQL text: the parser (like the
 * server) truncates them to 63 bytes before the parse tree is built, so only the text shows them.
 */
export function longIdentifiers(sql: string): string[] {
  const code = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, ' ')
    .replace(/'(?:[^']|'')*'/g, ' ');
  const names = [
    ...[...code.matchAll(/"((?:[^"]|"")+)"/g)].map((m) => m[1]!.replace(/""/g, '"')),
    ...[...code.replace(/"(?:[^"]|"")+"/g, ' ').matchAll(/[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/g)].map((m) => m[0]),
  ];
  return [...new Set(names.filter((n) => Buffer.byteLength(n) > MAX_IDENTIFIER_BYTES))];
}

/** Findings for one parsed statement; updates the context (new tables, renamed types). */
export function checkStatement(stmt: Node, ctx: StatementContext): RawFinding[] {
  const out: RawFinding[] = [];
  const [kind] = Object.keys(stmt);
  const node = stmt[kind!] as Node;

  switch (kind) {
    case 'TransactionStmt': {
      const k = String(node.kind);
      if (ctx.wrapped) out.push({ rule: 'transaction-nesting', detail: `${k.replace('TRANS_STMT_', '')} inside a migration TypeORM runs in a transaction` });
      if (k === 'TRANS_STMT_BEGIN' || k === 'TRANS_STMT_START') ctx.inTransaction = true;
      if (['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED'].includes(k)) {
        ctx.inTransaction = false;
        ctx.notValidConstraints.clear();
      }
      break;
    }
    case 'CreateStmt': {
      const table = rel(node.relation);
      ctx.newTables.add(table);
      if (!ctx.inTransaction && !node.if_not_exists) out.push({ rule: 'prefer-robust-stmts', detail: `CREATE TABLE ${table} without IF NOT EXISTS` });
      for (const el of (node.tableElts as Node[]) ?? []) if (el.ColumnDef) out.push(...columnTypeFindings(table, el.ColumnDef as Node));
      break;
    }
    case 'ReindexStmt': {
      const concurrent = ((node.params as Node[]) ?? []).some((p) => (p.DefElem as Node)?.defname === 'concurrently');
      if (!concurrent && node.kind !== 'REINDEX_OBJECT_SYSTEM') {
        out.push({ rule: 'require-concurrent-reindex', detail: `REINDEX ${String(node.kind).replace('REINDEX_OBJECT_', '')} ${rel(node.relation) || String(node.name ?? '')} without CONCURRENTLY` });
      } else if (concurrent && ctx.inTransaction) {
        out.push({ rule: 'ban-concurrent-index-creation-in-transaction', detail: 'REINDEX CONCURRENTLY in a migration that runs in a transaction' });
      }
      break;
    }
    case 'VacuumStmt': {
      const full = ((node.options as Node[]) ?? []).some((o) => (o.DefElem as Node)?.defname === 'full' && !isFalse((o.DefElem as Node).arg));
      if (full && node.is_vacuumcmd) out.push({ rule: 'prefer-repack', detail: `VACUUM FULL ${((node.rels as Node[]) ?? []).map((r) => rel((r.VacuumRelation as Node).relation)).join(', ')}` });
      break;
    }
    case 'ClusterStmt': {
      out.push({ rule: 'prefer-repack', detail: `CLUSTER ${rel(node.relation)}` });
      break;
    }
    case 'TruncateStmt': {
      if (node.behavior === 'DROP_CASCADE') {
        out.push({ rule: 'ban-truncate-cascade', detail: `TRUNCATE ${((node.relations as Node[]) ?? []).map((r) => rel(r.RangeVar)).join(', ')} CASCADE` });
      }
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
          const generated = constraints.find((x) => x.contype === 'CONSTR_GENERATED' || x.contype === 'CONSTR_IDENTITY');
          const notNull = constraints.some((x) => x.contype === 'CONSTR_NOTNULL' || x.contype === 'CONSTR_PRIMARY');
          const primary = constraints.some((x) => x.contype === 'CONSTR_PRIMARY');
          const fk = constraints.find((x) => x.contype === 'CONSTR_FOREIGN');
          const unique = constraints.find((x) => x.contype === 'CONSTR_UNIQUE');
          if (!isNew && dflt && isVolatileDefault(dflt.raw_expr)) out.push({ rule: 'adding-field-with-default', detail: `${col} added with a volatile default` });
          if (!isNew && generated?.contype === 'CONSTR_GENERATED') out.push({ rule: 'adding-field-with-default', detail: `${col} added as a stored generated column (computed for every row: a rewrite)` });
          if (!isNew && notNull && !dflt && !generated && !SERIAL.has(typeOf(def))) out.push({ rule: 'adding-required-field', detail: `${col} added NOT NULL without a default` });
          if (!isNew && fk && !fk.skip_validation) out.push({ rule: 'adding-foreign-key-constraint', detail: `${col} added with REFERENCES ${rel(fk.pktable)}` });
          if (!isNew && unique) out.push({ rule: 'disallowed-unique-constraint', detail: `${col} added UNIQUE: its index is built under lock` });
          if (!isNew && primary && (SERIAL.has(typeOf(def)) || generated?.contype === 'CONSTR_IDENTITY')) {
            out.push({ rule: 'adding-serial-primary-key-field', detail: `${col} added as a ${typeOf(def)} primary key` });
          }
          out.push(...columnTypeFindings(table, def));
          if (!ctx.inTransaction && !cmd.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `ADD COLUMN ${col} without IF NOT EXISTS` });
        } else if (sub === 'AT_DropColumn') {
          if (!isNew) out.push({ rule: 'ban-drop-column', detail: `${table}.${String(cmd.name)} dropped` });
          if (!ctx.inTransaction && !cmd.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `DROP COLUMN ${table}.${String(cmd.name)} without IF EXISTS` });
        } else if (sub === 'AT_DropConstraint') {
          if (!ctx.inTransaction && !cmd.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `DROP CONSTRAINT ${String(cmd.name)} without IF EXISTS` });
        } else if (sub === 'AT_DropNotNull' && !isNew) {
          out.push({ rule: 'ban-drop-not-null', detail: `${table}.${String(cmd.name)} DROP NOT NULL` });
        } else if (sub === 'AT_AlterColumnType' && !isNew) {
          const def = (cmd.def as Node).ColumnDef as Node;
          const type = nameList((def.typeName as Node)?.names).replace(/^pg_catalog\./, '');
          out.push({ rule: 'changing-column-type', detail: `${table}.${String(cmd.name)} changed to ${type}` });
          out.push(...columnTypeFindings(table, { ...def, colname: cmd.name }).filter((f) => f.rule !== 'prefer-identity'));
        } else if (sub === 'AT_SetNotNull' && !isNew) {
          // PostgreSQL 12+ skips the scan when a validated CHECK (col IS NOT NULL) exists: the safe
          // pattern adds it NOT VALID, validates it (usually in a later migration), then sets NOT NULL.
          const column = `${table}.${String(cmd.name)}`;
          const validated = ctx.validated.get(table);
          const proven = validated && (validated.has(column) || validated.has(null));
          if (!proven) out.push({ rule: 'adding-not-nullable-field', detail: `${column} SET NOT NULL` });
        } else if (sub === 'AT_AddConstraint' && !isNew) {
          const con = (cmd.def as Node).Constraint as Node;
          const name = String(con.conname ?? '');
          if (con.skip_validation) ctx.notValidConstraints.add(name);
          const nullTest = (con.raw_expr as Node | undefined)?.NullTest as Node | undefined;
          if (con.contype === 'CONSTR_CHECK' && nullTest?.nulltesttype === 'IS_NOT_NULL' && name) {
            const colName = nameList(((nullTest.arg as Node)?.ColumnRef as Node)?.fields).split('.').pop()!;
            ctx.notNullChecks.set(name, `${table}.${colName}`);
          }
          if (con.contype === 'CONSTR_FOREIGN' && !con.skip_validation) {
            out.push({ rule: 'adding-foreign-key-constraint', detail: `${name || 'foreign key'} on ${table} references ${rel(con.pktable)}` });
            out.push({ rule: 'constraint-missing-not-valid', detail: `FOREIGN KEY ${name} on ${table} added without NOT VALID` });
          } else if (con.contype === 'CONSTR_CHECK' && !con.skip_validation) {
            out.push({ rule: 'constraint-missing-not-valid', detail: `CHECK ${name} on ${table} added without NOT VALID` });
          } else if (con.contype === 'CONSTR_UNIQUE' && !con.indexname) {
            out.push({ rule: 'disallowed-unique-constraint', detail: `UNIQUE ${name} on ${table} builds its index under lock` });
          }
        } else if (sub === 'AT_ValidateConstraint') {
          const name = String(cmd.name);
          if (ctx.inTransaction && ctx.notValidConstraints.has(name)) {
            out.push({ rule: 'constraint-missing-not-valid', detail: `${name} is validated in the same transaction that added it NOT VALID` });
          }
          const set = ctx.validated.get(table) ?? new Set<string | null>();
          set.add(ctx.notNullChecks.get(name) ?? null);
          ctx.validated.set(table, set);
        }
      }
      break;
    }
  }
  return out;
}

function isFalse(arg: unknown): boolean {
  const a = arg as Node | undefined;
  const c = a?.A_Const as Node | undefined;
  const b = (c?.boolval as Node | undefined)?.boolval;
  const sval = ((c?.sval as Node | undefined)?.sval as string | undefined) ?? ((a?.String as Node | undefined)?.sval as string | undefined);
  return c !== undefined ? b === false || sval === 'false' || sval === 'off' || (c.ival as Node | undefined)?.ival === 0 : false;
}

import { SERIAL, columnTypeFindings, isVolatileDefault } from './column-checks';
import { nameList, qrel, rel, typeOf, type Node } from './parse-tree';
import type { RawFinding, StatementContext } from './statement-context';
import { binaryCoercible, showType, typeNameOf } from './type-change';

/**
 * Findings for one ALTER TABLE (each of its sub-commands); records constraints added NOT VALID,
 * CHECK (col IS NOT NULL) constraints and validations in the context, for SET NOT NULL later.
 */
export function checkAlterTable(node: Node, ctx: StatementContext): RawFinding[] {
  const found: RawFinding[] = [];
  const table = rel(node.relation);
  const isNew = ctx.newTables.has(table);
  for (const c of (node.cmds as Node[]) ?? []) {
    const cmd = c.AlterTableCmd as Node;
    const sub = cmd.subtype;
    // Every finding of this sub-command is about the table, or the column it names.
    const column = String(cmd.name ?? ((cmd.def as Node | undefined)?.ColumnDef as Node | undefined)?.colname ?? '').toLowerCase();
    const objects = column ? [`${qrel(node.relation)}.${column}`] : [qrel(node.relation)];
    const out = { push: (...f: RawFinding[]) => found.push(...f.map((x) => ({ objects, ...x }))) };
    if (sub === 'AT_AddColumn') {
      const def = (cmd.def as Node).ColumnDef as Node;
      const col = `${table}.${String(def.colname)}`;
      if (!isNew && ctx.droppedColumns.has(col.toLowerCase())) {
        const type = typeNameOf(def.typeName);
        const name = `"${String(def.colname)}"`;
        out.push({
          rule: 'changing-column-type',
          detail: `${col} is dropped and added back${type ? ` as ${showType(type)}` : ''}: a type change that empties the column (every value is lost)`,
          fix: `change the column in place: ALTER TABLE ... ALTER COLUMN ${name} TYPE ${type ? showType(type) : '<type>'} USING ${name}::${type ? showType(type) : '<type>'} (what generate writes), and rehearse it with --with-data`,
          supersedes: 'ban-drop-column',
        });
      }
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
      ctx.droppedColumns.add(`${table}.${String(cmd.name)}`.toLowerCase());
      if (!isNew) out.push({ rule: 'ban-drop-column', detail: `${table}.${String(cmd.name)} dropped` });
      if (!ctx.inTransaction && !cmd.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `DROP COLUMN ${table}.${String(cmd.name)} without IF EXISTS` });
    } else if (sub === 'AT_DropConstraint') {
      if (!ctx.inTransaction && !cmd.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `DROP CONSTRAINT ${String(cmd.name)} without IF EXISTS` });
    } else if (sub === 'AT_DropNotNull' && !isNew) {
      out.push({ rule: 'ban-drop-not-null', detail: `${table}.${String(cmd.name)} DROP NOT NULL` });
    } else if (sub === 'AT_AlterColumnType' && !isNew) {
      const def = (cmd.def as Node).ColumnDef as Node;
      const type = nameList((def.typeName as Node)?.names).replace(/^pg_catalog\./, '');
      out.push(typeChangeFinding(`${table}.${String(cmd.name)}`, type, def, ctx));
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
  return found;
}

/**
 * The changing-column-type finding of an ALTER COLUMN ... TYPE: a warning with the reason when
 * the type before (from down()) makes it a change that rewrites nothing; for an enum recreated
 * only to add values, says so (and that ADD VALUE would not rewrite).
 */
function typeChangeFinding(column: string, typeName: string, def: Node, ctx: StatementContext): RawFinding {
  const to = typeNameOf(def.typeName);
  const from = ctx.before.columnTypes.get(column.toLowerCase());
  const reason = from && to ? binaryCoercible(from, to) : null;
  if (reason) return { rule: 'changing-column-type', detail: `${column} changed from ${showType(from!)} to ${showType(to!)}: ${reason}; it still takes an ACCESS EXCLUSIVE lock for a moment`, atMost: 'warning' };
  const enumName = typeName.split('.').pop()!;
  const values = ctx.createdEnums.get(enumName);
  const old = ctx.before.enums.get(`${enumName}_old`) ?? ctx.before.enums.get(enumName);
  if (values && old && old.every((v) => values.includes(v))) {
    return {
      rule: 'changing-column-type',
      detail: `${column} moves to enum ${enumName}, recreated to add ${values.filter((v) => !old.includes(v)).map((v) => `'${v}'`).join(', ')}: the column is rewritten under an ACCESS EXCLUSIVE lock`,
      fix: `add the value(s) in place with ALTER TYPE ... ADD VALUE (no rewrite, no lock on the table)`,
    };
  }
  return { rule: 'changing-column-type', detail: `${column} changed to ${typeName}${from ? ` (from ${showType(from)})` : ''}` };
}

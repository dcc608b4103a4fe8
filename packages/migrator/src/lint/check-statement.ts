import { checkAlterTable } from './alter-table';
import { columnTypeFindings } from './column-checks';
import { isFalse, nameList, qrel, rel, str, type Node } from './parse-tree';
import type { RawFinding, StatementContext } from './statement-context';

// The rules of rules.ts applied to one statement of PostgreSQL's parse tree; ALTER TABLE has its own file.

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
    case 'CreateEnumStmt': {
      ctx.createdEnums.set(nameList(node.typeName).split('.').pop()!, ((node.vals as unknown[]) ?? []).map(str));
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
        const schema = (node.relation as { schemaname?: string }).schemaname;
        const objects = [qrel(node.relation), ...(node.idxname ? [[schema, String(node.idxname)].filter(Boolean).join('.').toLowerCase()] : [])];
        out.push({ rule: 'require-concurrent-index-creation', detail: `CREATE ${node.unique ? 'UNIQUE ' : ''}INDEX ${node.idxname ?? ''} on existing table ${table}`, objects });
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
          if (!ctx.newTables.has(table)) out.push({ rule: 'ban-drop-table', detail: `DROP TABLE ${t}`, objects: [t.toLowerCase()] });
        }
      } else if (type === 'OBJECT_INDEX') {
        if (node.concurrent && ctx.inTransaction) {
          out.push({ rule: 'ban-concurrent-index-creation-in-transaction', detail: `DROP INDEX CONCURRENTLY ${objects.join(', ')} in a migration that runs in a transaction` });
        }
        if (!node.concurrent) out.push({ rule: 'require-concurrent-index-deletion', detail: `DROP INDEX ${objects.join(', ')}`, objects: objects.map((o) => o.toLowerCase()) });
        if (!ctx.inTransaction && !node.missing_ok) out.push({ rule: 'prefer-robust-stmts', detail: `DROP INDEX ${objects.join(', ')} without IF EXISTS` });
      } else if (type === 'OBJECT_TYPE') {
        for (const t of objects) {
          const renamedFrom = [...ctx.renamedTypes.entries()].find(([, to]) => to === t.split('.').pop());
          if (renamedFrom) {
            const removal = enumValuesRemoved(renamedFrom[0], renamedFrom[1], ctx);
            if (removal) out.push({ rule: 'ban-enum-value-removal', detail: `enum type ${renamedFrom[0]} is recreated (renamed to ${renamedFrom[1]}, replaced, dropped)${removal}`, objects: [t.toLowerCase()] });
          } else out.push({ rule: 'ban-drop-type', detail: `DROP TYPE ${t}`, objects: [t.toLowerCase()] });
        }
      }
      break;
    }
    case 'RenameStmt': {
      const type = node.renameType;
      if (type === 'OBJECT_COLUMN' && !ctx.newTables.has(rel(node.relation))) {
        out.push({ rule: 'renaming-column', detail: `${rel(node.relation)}.${String(node.subname)} renamed to ${String(node.newname)}`, objects: [`${qrel(node.relation)}.${String(node.subname).toLowerCase()}`] });
      } else if (type === 'OBJECT_TABLE' && !ctx.newTables.has(rel(node.relation))) {
        out.push({ rule: 'renaming-table', detail: `${rel(node.relation)} renamed to ${String(node.newname)}`, objects: [qrel(node.relation)] });
      } else if (type === 'OBJECT_TYPE') {
        const from = nameList((node.object as { List?: { items?: unknown[] } })?.List?.items ?? []).split('.').pop()!;
        ctx.renamedTypes.set(from, String(node.newname));
      }
      break;
    }
    case 'AlterTableStmt': {
      out.push(...checkAlterTable(node, ctx));
      break;
    }
  }
  return out;
}

/**
 * For an enum type recreated under its name: null when no value is removed, else what the
 * finding adds to say which values go (or that the values before are not known offline). The values
 * before come from down(), which puts the old type back (TypeORM writes it so).
 */
function enumValuesRemoved(name: string, renamedTo: string, ctx: StatementContext): string | null {
  const now = ctx.createdEnums.get(name);
  const before = ctx.before.enums.get(renamedTo) ?? ctx.before.enums.get(name);
  if (!now || !before) return ' (the values before are not known: down() does not recreate the type)';
  const removed = before.filter((v) => !now.includes(v));
  return removed.length ? `: removes ${removed.map((v) => `'${v}'`).join(', ')}` : null;
}

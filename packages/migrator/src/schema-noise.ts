import { parseStatements, type ParsedStatement } from './sql-parser';
import type { DiffQuery } from './diff-query';

/**
 * TypeORM's schema builder drops and re-creates every index and foreign key that touches a
 * column it changes, even when the change is only a default (typeorm/typeorm#5117): the index
 * comes back exactly as it was, yet the migration would take ACCESS EXCLUSIVE locks and rebuild
 * it. Such a pair is removed here when the re-created object is identical (by PostgreSQL's parse
 * tree) to the one TypeORM's own down() would restore, and no column type of the tables involved
 * changes (a type change is the one case where the rebuild is real work).
 */
export function removeNoOpRecreations(up: readonly DiffQuery[], down: readonly DiffQuery[]): { up: DiffQuery[]; down: DiffQuery[]; removed: string[] } {
  const upParsed = up.map((q) => parsedOne(q.query));
  const downParsed = down.map((q) => parsedOne(q.query));
  const typeChanged = new Set(upParsed.flatMap((s) => (s ? tablesWithTypeChange(s) : [])));
  const dropUp = new Set<number>();
  const dropDown = new Set<number>();
  const removed: string[] = [];

  const objectsIn = (parsed: (ParsedStatement | null)[]) => parsed.map((s) => (s ? describe(s) : null));
  const upObjects = objectsIn(upParsed);
  const downObjects = objectsIn(downParsed);

  upObjects.forEach((created, i) => {
    if (!created || created.kind !== 'create') return;
    const dropIndex = upObjects.findIndex((o, j) => j < i && o?.kind === 'drop' && o.name === created.name);
    const restoreIndex = downObjects.findIndex((o) => o?.kind === 'create' && o.name === created.name);
    const undoIndex = downObjects.findIndex((o) => o?.kind === 'drop' && o.name === created.name);
    if (dropIndex < 0 || restoreIndex < 0 || undoIndex < 0) return;
    if (created.tables.some((t) => typeChanged.has(t))) return;
    if (created.shape !== downObjects[restoreIndex]!.shape) return;
    dropUp.add(dropIndex).add(i);
    dropDown.add(restoreIndex).add(undoIndex);
    removed.push(created.name);
  });
  return {
    up: up.filter((_, i) => !dropUp.has(i)),
    down: down.filter((_, i) => !dropDown.has(i)),
    removed,
  };
}

interface DdlObject {
  readonly kind: 'create' | 'drop';
  readonly name: string;
  /** Tables the object depends on (its table, and for a foreign key the referenced one). */
  readonly tables: string[];
  /** Normalised parse tree of the definition (creates only). */
  readonly shape: string;
}

function parsedOne(sql: string): ParsedStatement | null {
  const stmts = parseStatements(sql);
  return stmts && stmts.length === 1 ? stmts[0]! : null;
}

type Node = Record<string, unknown>;
const last = (names: unknown[]) => String(((names.at(-1) as { String?: { sval?: string } })?.String?.sval) ?? '');
const relname = (r: unknown) => String((r as { relname?: string })?.relname ?? '');

function describe(stmt: ParsedStatement): DdlObject | null {
  if ('IndexStmt' in stmt) {
    const n = stmt.IndexStmt as Node;
    return { kind: 'create', name: String(n.idxname), tables: [relname(n.relation)], shape: normalise(n) };
  }
  if ('DropStmt' in stmt) {
    const n = stmt.DropStmt as Node;
    const objects = (n.objects as Node[]) ?? [];
    if (n.removeType !== 'OBJECT_INDEX' || objects.length !== 1) return null;
    return { kind: 'drop', name: last(((objects[0]!.List as Node)?.items as unknown[]) ?? []), tables: [], shape: '' };
  }
  if ('AlterTableStmt' in stmt) {
    const n = stmt.AlterTableStmt as Node;
    const cmds = (n.cmds as Node[]) ?? [];
    if (cmds.length !== 1) return null;
    const cmd = cmds[0]!.AlterTableCmd as Node;
    if (cmd.subtype === 'AT_DropConstraint') return { kind: 'drop', name: String(cmd.name), tables: [], shape: '' };
    if (cmd.subtype === 'AT_AddConstraint') {
      const con = (cmd.def as Node).Constraint as Node;
      if (!con.conname) return null;
      const tables = [relname(n.relation), relname(con.pktable)].filter(Boolean);
      return { kind: 'create', name: String(con.conname), tables, shape: normalise({ table: relname(n.relation), con }) };
    }
  }
  return null;
}

function tablesWithTypeChange(stmt: ParsedStatement): string[] {
  const n = stmt.AlterTableStmt as Node | undefined;
  if (!n) return [];
  const cmds = ((n.cmds as Node[]) ?? []).map((c) => c.AlterTableCmd as Node);
  return cmds.some((c) => c.subtype === 'AT_AlterColumnType') ? [relname(n.relation)] : [];
}

/** The parse tree without source positions and with the default schema made implicit. */
function normalise(node: unknown): string {
  return JSON.stringify(node, (key, value: unknown) => {
    if (key === 'location') return undefined;
    if (key === 'schemaname' && value === 'public') return undefined;
    return value;
  });
}

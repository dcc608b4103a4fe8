import { parseStatements, type ParsedStatement } from '../sql-parser';
import type { CatalogTable, Grant, PrivilegeCatalog, SequenceDefault } from './catalog';

type Node = Record<string, unknown>;

const SERIAL_TYPES = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

const str = (n: unknown): string => ((n as { String?: { sval?: string } })?.String?.sval ?? '') as string;

/**
 * The catalog as it will be after `statements` (a dry run's captured DDL) have run: tables and
 * columns created, dropped, renamed and moved between schemas, and the default privileges that
 * new tables get. Lets `up --sql` show the grants the real run would make on tables that do not
 * exist yet. Statements it does not understand change nothing. Needs loadSqlParser().
 */
export function simulateDdl(catalog: PrivilegeCatalog, ownedSchemas: readonly string[], statements: readonly string[]): PrivilegeCatalog {
  const tables = new Map<string, CatalogTable>(catalog.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  let grants: Grant[] = [...catalog.grants];
  const sequenceDefaults: SequenceDefault[] = [...catalog.sequenceDefaults];
  const schemas = new Set(catalog.schemas);
  const relOf = (r: unknown) => {
    const rv = r as { schemaname?: string; relname: string };
    return { schema: rv.schemaname ?? 'public', name: rv.relname };
  };
  const move = (from: string, to: CatalogTable | null) => {
    const [fs, fn] = [from.slice(0, from.indexOf('.')), from.slice(from.indexOf('.') + 1)];
    tables.delete(from);
    grants = grants.filter((g) => !(g.schema === fs && g.table === fn));
    if (to) tables.set(`${to.schema}.${to.name}`, to);
  };

  for (const sql of statements) {
    for (const stmt of parseStatements(sql) ?? ([] as ParsedStatement[])) {
      const [kind] = Object.keys(stmt);
      const node = stmt[kind!] as Node;
      if (kind === 'CreateSchemaStmt') schemas.add(String(node.schemaname));
      else if (kind === 'CreateStmt') {
        const { schema, name } = relOf(node.relation);
        const defs = ((node.tableElts as Node[]) ?? []).flatMap((e) => ((e.ColumnDef as Node)?.colname ? [e.ColumnDef as Node] : []));
        const columns = defs.map((d) => String(d.colname));
        tables.set(`${schema}.${name}`, { schema, name, owner: catalog.currentUser, columns });
        // A serial column makes a sequence named <table>_<column>_seq (PostgreSQL's choice when it fits 63 bytes).
        const serials = defs
          .filter((d) => SERIAL_TYPES.has(str(((d.typeName as Node)?.names as unknown[])?.at(-1))))
          .map((d) => ({ schema, sequence: `${name}_${String(d.colname)}_seq`, tableSchema: schema, table: name, column: String(d.colname) }));
        sequenceDefaults.push(...serials);
        for (const d of catalog.defaults.filter((x) => x.owner === catalog.currentUser && x.schema === schema)) {
          if (!d.sequences) grants.push({ grantee: d.grantee, privilege: d.privilege, schema, table: name, column: null });
          else for (const s of serials) grants.push({ grantee: d.grantee, privilege: d.privilege, schema, table: s.sequence, column: null, sequence: true });
        }
      } else if (kind === 'AlterTableStmt') {
        const { schema, name } = relOf(node.relation);
        const t = tables.get(`${schema}.${name}`);
        if (!t) continue;
        let columns = [...t.columns];
        for (const c of (node.cmds as Node[]) ?? []) {
          const cmd = c.AlterTableCmd as Node;
          if (cmd?.subtype === 'AT_AddColumn') columns.push(String(((cmd.def as Node).ColumnDef as Node).colname));
          if (cmd?.subtype === 'AT_DropColumn') columns = columns.filter((x) => x !== cmd.name);
        }
        tables.set(`${schema}.${name}`, { ...t, columns });
      } else if (kind === 'DropStmt' && node.removeType === 'OBJECT_TABLE') {
        for (const o of (node.objects as Node[]) ?? []) {
          const parts = (((o.List as Node)?.items as unknown[]) ?? []).map(str);
          move(parts.length > 1 ? parts.join('.') : `public.${parts[0]}`, null);
        }
      } else if (kind === 'DropStmt' && node.removeType === 'OBJECT_SCHEMA') {
        for (const o of (node.objects as Node[]) ?? []) schemas.delete(str(o));
      } else if (kind === 'AlterObjectSchemaStmt' && node.objectType === 'OBJECT_TABLE') {
        const { schema, name } = relOf(node.relation);
        const t = tables.get(`${schema}.${name}`);
        const to = String(node.newschema);
        const moved = grants.filter((g) => g.schema === schema && g.table === name).map((g) => ({ ...g, schema: to }));
        if (t) move(`${schema}.${name}`, { ...t, schema: to });
        grants.push(...moved);
      } else if (kind === 'RenameStmt' && (node.renameType === 'OBJECT_TABLE' || node.renameType === 'OBJECT_COLUMN')) {
        const { schema, name } = relOf(node.relation);
        const t = tables.get(`${schema}.${name}`);
        if (!t) continue;
        if (node.renameType === 'OBJECT_TABLE') {
          const renamed = grants.filter((g) => g.schema === schema && g.table === name).map((g) => ({ ...g, table: String(node.newname) }));
          move(`${schema}.${name}`, { ...t, name: String(node.newname) });
          grants.push(...renamed);
        } else {
          tables.set(`${schema}.${name}`, { ...t, columns: t.columns.map((c) => (c === node.subname ? String(node.newname) : c)) });
        }
      }
    }
  }
  return {
    ...catalog,
    schemas: [...schemas].filter((s) => ownedSchemas.includes(s)),
    tables: [...tables.values()].filter((t) => schemas.has(t.schema) && ownedSchemas.includes(t.schema)),
    sequenceDefaults,
    grants,
  };
}

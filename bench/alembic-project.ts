import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';

/**
 * An Alembic project equivalent to this service's migrations, for bench/alembic.ts: the seed's
 * layout (alembic.ini, env.py importing every service's models, versions/), with a SQLAlchemy
 * model written from the catalog of a database our migrations brought to head: the same tables,
 * columns (nullability), primary keys, foreign keys, unique constraints and plain indexes.
 * Expression and operator-class indexes have no plain SQLAlchemy form; env.py leaves them out of
 * the comparison (include_object), as a project would.
 */

const SCHEMAS = ['auth', 'catalog', 'installation', 'proxy'];

const py = (s: string) => JSON.stringify(s);

/** A SQLAlchemy type for a catalog type (types are not compared by Alembic 1.8's default; kept faithful anyway). */
function typeOf(c: { type: string; typtype: string; typname: string; enum: string[] | null; typschema: string }): string {
  if (c.typtype === 'e') return `postgresql.ENUM(${(c.enum ?? []).map(py).join(', ')}, name=${py(c.typname)}, schema=${py(c.typschema)}, create_type=False)`;
  const t = c.type;
  let m: RegExpExecArray | null;
  if ((m = /^character varying\((\d+)\)$/.exec(t))) return `sa.String(${m[1]})`;
  if ((m = /^numeric\((\d+),(\d+)\)$/.exec(t))) return `sa.Numeric(${m[1]}, ${m[2]})`;
  if (t.endsWith('[]')) return `postgresql.ARRAY(sa.Text())`;
  const simple: Record<string, string> = {
    uuid: 'postgresql.UUID()',
    text: 'sa.Text()',
    'character varying': 'sa.String()',
    integer: 'sa.Integer()',
    bigint: 'sa.BigInteger()',
    smallint: 'sa.SmallInteger()',
    boolean: 'sa.Boolean()',
    'timestamp with time zone': 'postgresql.TIMESTAMP(timezone=True)',
    'timestamp without time zone': 'postgresql.TIMESTAMP()',
    jsonb: 'postgresql.JSONB()',
    json: 'sa.JSON()',
    bytea: 'sa.LargeBinary()',
    inet: 'postgresql.INET()',
    date: 'sa.Date()',
    numeric: 'sa.Numeric()',
  };
  return simple[t] ?? 'sa.Text()';
}

/** Writes the project into `dir` and returns the path of alembic.ini. */
export async function writeAlembicProject(dir: string, databaseUrl: string): Promise<string> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let models: string;
  try {
    models = await modelsFromCatalog(client);
  } finally {
    await client.end();
  }
  const url = new URL(databaseUrl);
  url.protocol = 'postgresql+psycopg2:';
  await mkdir(path.join(dir, 'alembic', 'versions'), { recursive: true });
  const ini = path.join(dir, 'alembic.ini');
  await writeFile(
    ini,
    `[alembic]\nscript_location = %(here)s/alembic\nsqlalchemy.url = ${url.toString().replace(/%/g, '%%')}\n`,
  );
  await writeFile(path.join(dir, 'models.py'), models);
  await writeFile(
    path.join(dir, 'alembic', 'env.py'),
    `import os, sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from alembic import context
from sqlalchemy import engine_from_config, pool
import models

config = context.config
target_metadata = models.metadata
SCHEMAS = set(${py(SCHEMAS.join(','))}.split(','))


def include_name(name, type_, parent_names):
    if type_ == "schema":
        return name in SCHEMAS
    return True


def include_object(obj, name, type_, reflected, compare_to):
    if type_ == "index" and reflected and (obj.table.schema, name) in models.UNMODELLED_INDEXES:
        return False
    return True


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, include_schemas=True,
                          include_name=include_name, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
`,
  );
  await writeFile(
    path.join(dir, 'alembic', 'script.py.mako'),
    `"""\${message}

Revision ID: \${up_revision}
Revises: \${down_revision | comma,n}
"""
from alembic import op
import sqlalchemy as sa
\${imports if imports else ""}
revision = \${repr(up_revision)}
down_revision = \${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    \${upgrades if upgrades else "pass"}


def downgrade():
    \${downgrades if downgrades else "pass"}
`,
  );
  await writeFile(
    path.join(dir, 'alembic', 'versions', '0001_head.py'),
    `"""the schema as the service's migrations leave it\n\nRevision ID: 0001\n"""\nrevision = "0001"\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n`,
  );
  return ini;
}

async function modelsFromCatalog(client: Client): Promise<string> {
  const q = async <T>(sql: string): Promise<T[]> => (await client.query(sql, [SCHEMAS])).rows as T[];
  const columns = await q<{ schema: string; table: string; column: string; type: string; notnull: boolean; identity: string; typtype: string; typname: string; typschema: string; enum: string[] | null }>(
    `SELECT n.nspname AS schema, c.relname AS "table", a.attname AS "column", format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull, a.attidentity AS identity,
            t.typtype, t.typname, tn.nspname AS typschema,
            (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS enum
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
      WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY 1, 2, a.attnum`,
  );
  const constraints = await q<{ schema: string; table: string; name: string; type: string; columns: string[]; ref: string | null; refcolumns: string[] | null; ondelete: string }>(
    `SELECT n.nspname AS schema, c.relname AS "table", k.conname AS name, k.contype AS type,
            (SELECT array_agg(a.attname::text ORDER BY x.i) FROM unnest(k.conkey) WITH ORDINALITY x(k, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.k) AS columns,
            rn.nspname || '.' || r.relname AS ref,
            (SELECT array_agg(a.attname::text ORDER BY x.i) FROM unnest(k.confkey) WITH ORDINALITY x(k, i) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.k) AS refcolumns,
            k.confdeltype AS ondelete
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class r ON r.oid = k.confrelid LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE n.nspname = ANY($1) AND k.contype IN ('p', 'f', 'u') AND NOT c.relispartition ORDER BY 1, 2, 3`,
  );
  const indexes = await q<{ schema: string; table: string; name: string; def: string; unique: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS "table", i.relname AS name, pg_get_indexdef(x.indexrelid) AS def, x.indisunique AS unique
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ANY($1) AND NOT c.relispartition AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY 1, 2, 3`,
  );
  const ONDELETE: Record<string, string> = { c: 'CASCADE', n: 'SET NULL', r: 'RESTRICT', d: 'SET DEFAULT' };
  const tables = [...new Set(columns.map((c) => `${c.schema}.${c.table}`))];
  const unmodelled: string[] = [];
  const lines = ['import sqlalchemy as sa', 'from sqlalchemy.dialects import postgresql', '', 'metadata = sa.MetaData()', ''];
  for (const key of tables) {
    const [schema, table] = key.split('.') as [string, string];
    const parts: string[] = [];
    for (const c of columns.filter((x) => x.schema === schema && x.table === table)) {
      const identity = c.identity === 'a' ? ', sa.Identity(always=True)' : c.identity === 'd' ? ', sa.Identity()' : '';
      parts.push(`sa.Column(${py(c.column)}, ${typeOf(c)}${identity}, nullable=${c.notnull ? 'False' : 'True'})`);
    }
    for (const k of constraints.filter((x) => x.schema === schema && x.table === table)) {
      const cols = `[${k.columns.map(py).join(', ')}]`;
      if (k.type === 'p') parts.push(`sa.PrimaryKeyConstraint(*${cols}, name=${py(k.name)})`);
      if (k.type === 'u') parts.push(`sa.UniqueConstraint(*${cols}, name=${py(k.name)})`);
      if (k.type === 'f') {
        const refs = `[${k.refcolumns!.map((r) => py(`${k.ref}.${r}`)).join(', ')}]`;
        parts.push(`sa.ForeignKeyConstraint(${cols}, ${refs}, name=${py(k.name)}${ONDELETE[k.ondelete] ? `, ondelete=${py(ONDELETE[k.ondelete]!)}` : ''})`);
      }
    }
    for (const i of indexes.filter((x) => x.schema === schema && x.table === table)) {
      const plain = /^CREATE (UNIQUE )?INDEX \S+ ON \S+ USING btree \(("?\w+"?(?:, "?\w+"?)*)\)$/.exec(i.def);
      if (!plain) {
        unmodelled.push(`(${py(schema)}, ${py(i.name)})`);
        continue;
      }
      const cols = plain[2]!.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
      parts.push(`sa.Index(${py(i.name)}, ${cols.map(py).join(', ')}${i.unique ? ', unique=True' : ''})`);
    }
    lines.push(`sa.Table(${py(table)}, metadata,\n    ${parts.join(',\n    ')},\n    schema=${py(schema)})`, '');
  }
  lines.push(`UNMODELLED_INDEXES = {${unmodelled.join(', ')}}`, '');
  return lines.join('\n');
}

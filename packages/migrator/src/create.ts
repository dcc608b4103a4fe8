import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MigratorError } from './errors';
import { newestTimestamp } from './migration-files';

export interface CreatedMigration {
  readonly name: string;
  readonly timestamp: number;
  readonly file: string;
}

/** `add-cat ratings` → `AddCatRatings`, as TypeORM's own generator names classes. */
export function className(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  if (!pascal || !/^[A-Za-z]/.test(pascal)) {
    throw new MigratorError('usage', `"${name}" cannot name a migration: use letters, digits and dashes, starting with a letter (e.g. add-cat-ratings)`);
  }
  return pascal;
}

/**
 * Writes a migration file. Its timestamp is now, or one past the newest existing migration if
 * that is later (a skewed clock must not create an out-of-order migration).
 */
export function createMigration(
  dir: string,
  name: string,
  body: {
    up?: readonly string[];
    down?: readonly string[];
    header?: string;
    /** Class members after `name` (a merge migration's `static merges = [...]`). */
    members?: string;
    /** What an up() or down() without statements says instead of `// TODO`. */
    emptyBody?: string;
  } = {},
): CreatedMigration {
  const base = className(name);
  const newest = newestTimestamp(dir);
  const timestamp = Math.max(Date.now(), newest + 1);
  const cls = `${base}${timestamp}`;
  const file = path.join(dir, `${timestamp}-${base}.ts`);
  if (existsSync(file)) throw new MigratorError('usage', `${file} already exists; choose another NAME`);
  const statements = (sqls: readonly string[] | undefined) =>
    sqls?.length ? sqls.map((s) => `        await queryRunner.query(\`${escapeTemplate(s)}\`);`).join('\n') : `        // ${body.emptyBody ?? 'TODO'}`;
  writeFileSync(
    file,
    `import { MigrationInterface, QueryRunner } from "typeorm";
${body.header ? `\n${body.header}\n` : ''}
export class ${cls} implements MigrationInterface {
    name = '${cls}'
${body.members ? `${body.members}\n` : ''}
    public async up(queryRunner: QueryRunner): Promise<void> {
${statements(body.up)}
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
${statements(body.down)}
    }

}
`,
  );
  return { name: cls, timestamp, file };
}

function escapeTemplate(sql: string): string {
  return sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

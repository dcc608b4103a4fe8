import type { MigrationInterface, QueryRunner } from 'typeorm';
import { captureQueries } from '../sql-capture';
import { parseStatements } from '../sql-parser';
import { nameList, rel, str, type Node } from './parse-tree';
import type { DownFacts } from './statement-context';
import { typeNameOf, type TypeName } from './type-change';

// What the schema was before a migration, as far as its down() says: it puts the old types back.

export const NO_FACTS: DownFacts = { enums: new Map(), columnTypes: new Map() };

/**
 * Runs down() against a recording QueryRunner (nothing reaches a database) and reads what it
 * restores: the values of each enum type it creates, and the type of each column it changes.
 * Generated migrations (TypeORM's and ours) write exactly that, so the lint can tell an enum
 * recreated only to add values, or a varchar that only got longer. A down() that cannot run
 * offline gives no facts, and the lint stays as strict as without them.
 */
export async function downFacts(instance: MigrationInterface, runner: QueryRunner): Promise<DownFacts> {
  const { runner: recording, statements } = captureQueries(runner);
  try {
    await instance.down(recording);
  } catch {
    return NO_FACTS;
  }
  const enums = new Map<string, readonly string[]>();
  const columnTypes = new Map<string, TypeName>();
  for (const s of statements) {
    for (const stmt of parseStatements(s.sql) ?? []) {
      const create = stmt.CreateEnumStmt as Node | undefined;
      if (create) enums.set(nameList(create.typeName).split('.').pop()!, ((create.vals as unknown[]) ?? []).map(str));
      const alter = stmt.AlterTableStmt as Node | undefined;
      for (const c of (alter?.cmds as Node[] | undefined) ?? []) {
        const cmd = c.AlterTableCmd as Node;
        if (cmd.subtype !== 'AT_AlterColumnType') continue;
        const type = typeNameOf(((cmd.def as Node).ColumnDef as Node).typeName);
        if (type) columnTypes.set(`${rel(alter!.relation)}.${String(cmd.name).toLowerCase()}`, type);
      }
    }
  }
  return { enums, columnTypes };
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Moves every table of a database made by the earlier migrations from `public` into the schema
 * of the service that owns it, with its enum types. ALTER TABLE ... SET SCHEMA keeps the rows,
 * and the indexes, constraints and foreign keys go with the table (they are the table's, and a
 * foreign key points at the table, not at a name), so nothing is copied and no session is lost.
 * Column defaults refer to enum types by oid, so they follow the type. `down` moves them back
 * and drops the schemas, which fails rather than dropping anything a later migration put there.
 *
 * Old code that names tables without a schema stops working at this point: stop it before the
 * upgrade (or run the new code, which names the schemas) rather than roll this out instance by instance.
 */
const MOVES: { schema: string; tables: string[]; types: string[] }[] = [
  { schema: 'auth', tables: ['users', 'sessions', 'refresh_tokens', 'rate_limits'], types: ['user_role'] },
  { schema: 'catalog', tables: ['cats', 'permissions'], types: ['cat_status', 'permission_type'] },
  { schema: 'installation', tables: ['installations', 'installation_permissions'], types: ['installation_status'] },
  { schema: 'proxy', tables: ['proxy_request_logs'], types: [] },
];

export class ServiceSchemas1795593549842 implements MigrationInterface {
  name = 'ServiceSchemas1795593549842';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const { schema, tables, types } of MOVES) {
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      for (const type of types) await queryRunner.query(`ALTER TYPE "public"."${type}" SET SCHEMA "${schema}"`);
      for (const table of tables) await queryRunner.query(`ALTER TABLE "public"."${table}" SET SCHEMA "${schema}"`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const { schema, tables, types } of [...MOVES].reverse()) {
      for (const table of tables) await queryRunner.query(`ALTER TABLE "${schema}"."${table}" SET SCHEMA "public"`);
      for (const type of types) await queryRunner.query(`ALTER TYPE "${schema}"."${type}" SET SCHEMA "public"`);
      await queryRunner.query(`DROP SCHEMA "${schema}"`);
    }
  }
}

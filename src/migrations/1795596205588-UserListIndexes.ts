import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the admin's user search (GET users, issue 11), built without blocking writes to
 * auth.users (CONCURRENTLY, so no transaction: each statement is idempotent, and a run that
 * stopped half-way is finished by running it again):
 * - (role, is_active) becomes (role, is_active, created_at, id): the filters and the keyset order
 *   in one index, so a page reads only its own rows;
 * - (created_at, id) for the unfiltered list;
 * - email with varchar_pattern_ops for the prefix search (LIKE 'abc%' cannot use the UNIQUE
 *   index under a non-C collation). TypeORM cannot describe an operator class: the entity declares
 *   it with synchronize: false, so generate and check leave it alone.
 */
export class UserListIndexes1795596205588 implements MigrationInterface {
  name = 'UserListIndexes1795596205588';
  transaction = false;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_users_role_is_active_created_at_id" ON "auth"."users" ("role", "is_active", "created_at", "id")`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_users_created_at_id" ON "auth"."users" ("created_at", "id")`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_users_email_pattern" ON "auth"."users" ("email" varchar_pattern_ops)`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "auth"."idx_users_role_is_active"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_users_role_is_active" ON "auth"."users" ("role", "is_active")`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "auth"."idx_users_email_pattern"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "auth"."idx_users_created_at_id"`);
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "auth"."idx_users_role_is_active_created_at_id"`);
  }
}

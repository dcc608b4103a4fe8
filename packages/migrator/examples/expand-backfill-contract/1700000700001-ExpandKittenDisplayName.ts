import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Expand: add the new column as nullable (instant, no rewrite) and its index without blocking
 * writes. CREATE INDEX CONCURRENTLY cannot run inside a transaction, so this migration says
 * `transaction = false`: it runs on a connection of its own while the migration lock stays held.
 * IF NOT EXISTS makes it safe to run again after an interruption (a failed concurrent build
 * leaves an INVALID index: the down() drops it).
 */
export class ExpandKittenDisplayName1700000700001 implements MigrationInterface {
  name = 'ExpandKittenDisplayName1700000700001';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "kittens" ADD COLUMN IF NOT EXISTS "display_name" character varying(100)`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_kittens_display_name" ON "kittens" ("display_name")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS "idx_kittens_display_name"`);
    await queryRunner.query(`ALTER TABLE "kittens" DROP COLUMN IF EXISTS "display_name"`);
  }
}

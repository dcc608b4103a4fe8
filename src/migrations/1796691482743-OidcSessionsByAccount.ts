import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issues 27/22: ending every session of a user also deletes the OpenID provider's browser
 * sessions of that user (src/auth/oidc/provider-sign-outs.ts), found by the account in their
 * payload (`payload->>'accountId'`). A partial expression index on Session rows alone: tokens and
 * interactions (most of the table) are not in it, and the delete names `model = 'Session'` so the
 * planner can use it. TypeORM cannot describe it: the entity declares it with synchronize: false.
 *
 * Built in the migration's transaction, not CONCURRENTLY, for the reason of UserListIndexes:
 * CONCURRENTLY waits for the snapshots of other `migrate up` runs waiting for the lock this run
 * holds, and PostgreSQL reports a deadlock to them. auth.oidc_models holds live provider state
 * only (expired rows are pruned every hour, pruning.ts), so the write lock lasts as long as one
 * scan of it.
 */
export class OidcSessionsByAccount1796691482743 implements MigrationInterface {
  name = 'OidcSessionsByAccount1796691482743';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // migration-lint-ack: require-concurrent-index-creation -- CONCURRENTLY deadlocks with migrate runs waiting for the lock (see above); oidc_models holds only live state
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS "idx_oidc_models_session_account_id" ON "auth"."oidc_models" (("payload"->>'accountId')) WHERE "model" = 'Session'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // migration-lint-ack: require-concurrent-index-deletion -- the same reason as up
    await queryRunner.query(`DROP INDEX IF EXISTS "auth"."idx_oidc_models_session_account_id"`);
  }
}

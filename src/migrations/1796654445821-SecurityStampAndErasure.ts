import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 22 (H1, H2, M1, M5, M8, M9):
 * - users.security_stamp and account_tokens.security_stamp: every change of credential or identity
 *   bumps the user's stamp, and a mailed link is spent only while its stamp still equals the
 *   user's (src/auth/accounts/security-stamp.ts). A constant default: no table rewrite, and links
 *   already mailed keep working (0 = 0) until the next change.
 * - users.developer_requested_at, developer_blocked_at: the developer-role policy (developer-role.ts).
 * - users.email nullable: a deleted account's address is erased (NULL), which no registration can
 *   collide with; the placeholders of accounts deleted before (deleted-<id>@deleted.invalid) become
 *   NULL too. down() writes the placeholders back.
 * - mail_outbox.recipient nullable (cleared once sent), and indexes for the retention pruning of
 *   account_tokens and mail_outbox (account-pruning.ts).
 *
 * The indexes are built in the migration's transaction, not CONCURRENTLY, for the reason of
 * UserListIndexes: CONCURRENTLY waits for the snapshots of other `migrate up` runs waiting for the
 * lock this run holds, and PostgreSQL reports a deadlock to them. Both tables are pruned small.
 */
export class SecurityStampAndErasure1796654445821 implements MigrationInterface {
  name = 'SecurityStampAndErasure1796654445821';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "auth"."users" ADD "security_stamp" bigint NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "auth"."users" ADD "developer_requested_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "auth"."users" ADD "developer_blocked_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "auth"."account_tokens" ADD "security_stamp" bigint NOT NULL DEFAULT '0'`);
    // migration-lint-ack: ban-drop-not-null -- only the auth service reads auth.users.email (catalog and installation are granted other columns; the proxy's grant is an allow-list, src/db/privileges.ts), and its code reads NULL as a deleted account in the same release
    await queryRunner.query(`ALTER TABLE "auth"."users" ALTER COLUMN "email" DROP NOT NULL`);
    await queryRunner.query(`UPDATE "auth"."users" SET "email" = NULL WHERE "deleted_at" IS NOT NULL AND "email" = 'deleted-' || "id" || '@deleted.invalid'`);
    // migration-lint-ack: ban-drop-not-null -- auth.mail_outbox is read by the auth service alone, whose sender never claims a row without a recipient (sent or erased rows)
    await queryRunner.query(`ALTER TABLE "auth"."mail_outbox" ALTER COLUMN "recipient" DROP NOT NULL`);
    // migration-lint-ack: require-concurrent-index-creation -- CONCURRENTLY deadlocks with migrate runs waiting for the lock (see above); mail_outbox is pruned small
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "idx_mail_outbox_created_at" ON "auth"."mail_outbox" ("created_at")`);
    // migration-lint-ack: require-concurrent-index-creation -- the same; account_tokens is pruned small
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "idx_account_tokens_done_at" ON "auth"."account_tokens" ((LEAST("used_at", "expires_at")))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "auth"."idx_account_tokens_done_at"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "auth"."idx_mail_outbox_created_at"`);
    // Sent mail lost its recipient on purpose; the old schema wants one.
    await queryRunner.query(`UPDATE "auth"."mail_outbox" SET "recipient" = 'erased@deleted.invalid' WHERE "recipient" IS NULL`);
    await queryRunner.query(`ALTER TABLE "auth"."mail_outbox" ALTER COLUMN "recipient" SET NOT NULL`);
    await queryRunner.query(`UPDATE "auth"."users" SET "email" = 'deleted-' || "id" || '@deleted.invalid' WHERE "email" IS NULL`);
    await queryRunner.query(`ALTER TABLE "auth"."users" ALTER COLUMN "email" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "auth"."account_tokens" DROP COLUMN "security_stamp"`);
    await queryRunner.query(`ALTER TABLE "auth"."users" DROP COLUMN "developer_blocked_at"`);
    await queryRunner.query(`ALTER TABLE "auth"."users" DROP COLUMN "developer_requested_at"`);
    await queryRunner.query(`ALTER TABLE "auth"."users" DROP COLUMN "security_stamp"`);
  }
}

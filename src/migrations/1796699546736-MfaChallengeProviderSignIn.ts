import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25 with issue 26: an MFA challenge remembers which provider sign-in proved its first factor
 * (`sign_in_method`: `id_token` or `redirect`; `sign_in_provider`: the configured name), so that
 * completing it counts the sign-in by method and provider and names the provider in
 * login_succeeded, as a provider sign-in without a second factor does. Both NULL after a password.
 * Two nullable columns on a table of minutes-old rows: no rewrite, no backfill; a challenge issued
 * before them completes as before (no provider named).
 */
export class MfaChallengeProviderSignIn1796699546736 implements MigrationInterface {
  name = 'MfaChallengeProviderSignIn1796699546736';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "auth"."mfa_challenges" ADD "sign_in_method" text`);
    await queryRunner.query(`ALTER TABLE "auth"."mfa_challenges" ADD "sign_in_provider" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Only which provider proved the first factor of challenges in flight is lost: they complete as before the columns.
    await queryRunner.query(`ALTER TABLE "auth"."mfa_challenges" DROP COLUMN "sign_in_provider"`);
    await queryRunner.query(`ALTER TABLE "auth"."mfa_challenges" DROP COLUMN "sign_in_method"`);
  }
}

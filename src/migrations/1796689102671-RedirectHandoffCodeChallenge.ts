import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25: a native app's redirect sign-in (a private-use return URL scheme, RFC 8252) binds its
 * one-time handoff code to the app's PKCE challenge, kept beside the code. A nullable column on a
 * table of minutes-old rows: no rewrite, no backfill. Down first deletes the codes in flight that
 * carry a challenge (they expire within two minutes; the player signs in again) so that none of
 * them becomes spendable without its verifier, then drops the column.
 */
export class RedirectHandoffCodeChallenge1796689102671 implements MigrationInterface {
  name = 'RedirectHandoffCodeChallenge1796689102671';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "auth"."redirect_handoffs" ADD "code_challenge" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "auth"."redirect_handoffs" WHERE "code_challenge" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "auth"."redirect_handoffs" DROP COLUMN "code_challenge"`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The /device page asks a second factor (issue 28 with issue 26): the approval records how the
 * person proved who they are (RFC 8176 amr) and when (auth_time), so the session the CLI redeems
 * carries them as a login's session does. Two nullable columns: no rewrite, only the brief ACCESS
 * EXCLUSIVE of ADD COLUMN on a small, short-lived table. NULL (approved before this column): a
 * password sign-in at redemption time, as before.
 */
export class DeviceAuthorizationAmr1796678043498 implements MigrationInterface {
  name = 'DeviceAuthorizationAmr1796678043498';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "auth"."device_authorizations" ADD "amr" text array`);
    await queryRunner.query(`ALTER TABLE "auth"."device_authorizations" ADD "auth_time" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Only how pending approvals were proven is lost: their sessions then say pwd, as before the column.
    await queryRunner.query(`ALTER TABLE "auth"."device_authorizations" DROP COLUMN "auth_time"`);
    await queryRunner.query(`ALTER TABLE "auth"."device_authorizations" DROP COLUMN "amr"`);
  }
}

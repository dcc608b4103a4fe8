import { MigrationInterface, QueryRunner } from "typeorm";

// Issue 30: the language of a user's mail (en, es, es-MX...); NULL means MAIL_DEFAULT_LOCALE. A new
// nullable column: no rewrite, no lock beyond the brief ACCESS EXCLUSIVE of ADD COLUMN.
export class UserLocale1796666078539 implements MigrationInterface {
    name = 'UserLocale1796666078539'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "auth"."users" ADD "locale" character varying(35)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // Only a preference is lost: mail falls back to MAIL_DEFAULT_LOCALE.
        await queryRunner.query(`ALTER TABLE "auth"."users" DROP COLUMN "locale"`);
    }

}

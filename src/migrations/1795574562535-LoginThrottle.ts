import { MigrationInterface, QueryRunner } from "typeorm";

export class LoginThrottle1795574562535 implements MigrationInterface {
    name = 'LoginThrottle1795574562535'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "rate_limits" ("key" character varying(255) NOT NULL, "points" integer NOT NULL DEFAULT '0', "expire" bigint, CONSTRAINT "pk_rate_limits" PRIMARY KEY ("key"))`);
        await queryRunner.query(`CREATE INDEX "idx_rate_limits_expire" ON "rate_limits"  ("expire") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."idx_rate_limits_expire"`);
        await queryRunner.query(`DROP TABLE "rate_limits"`);
    }

}

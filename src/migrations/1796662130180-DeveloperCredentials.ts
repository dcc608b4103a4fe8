import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Developer credentials (issue 28): device logins of the CLI (RFC 8628; the device code stored as
 * its SHA-256 only) and personal access tokens (their SHA-256 only). New, empty tables: the only
 * locks on tables that hold rows are the brief SHARE ROW EXCLUSIVE of the foreign keys on users.
 * interval_seconds is an integer on purpose: a poll interval (5 s, +5 per slow_down), never a counter.
 * down drops both tables: device codes live minutes, and revoking every PAT is what undoing this means.
 */
export class DeveloperCredentials1796662130180 implements MigrationInterface {
    name = 'DeveloperCredentials1796662130180'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "auth"."device_authorizations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "device_code_hash" bytea NOT NULL, "user_code" text NOT NULL, "client_id" text NOT NULL, "scope" text, "user_agent" text, "ip" inet, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "interval_seconds" integer NOT NULL, "last_polled_at" TIMESTAMP WITH TIME ZONE, "status" text NOT NULL DEFAULT 'pending', "user_id" uuid, "decided_at" TIMESTAMP WITH TIME ZONE, "session_id" uuid, CONSTRAINT "uq_device_authorizations_user_code" UNIQUE ("user_code"), CONSTRAINT "uq_device_authorizations_device_code_hash" UNIQUE ("device_code_hash"), CONSTRAINT "chk_device_authorizations_status" CHECK ("status" IN ('pending', 'approved', 'denied', 'redeemed')), CONSTRAINT "pk_device_authorizations" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_device_authorizations_expires_at" ON "auth"."device_authorizations"  ("expires_at") `);
        await queryRunner.query(`CREATE INDEX "idx_device_authorizations_user_id" ON "auth"."device_authorizations"  ("user_id") `);
        await queryRunner.query(`CREATE TABLE "auth"."personal_access_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "name" text NOT NULL, "token_hash" bytea NOT NULL, "token_prefix" text NOT NULL, "scopes" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, "last_used_ip" inet, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" text, CONSTRAINT "uq_personal_access_tokens_token_hash" UNIQUE ("token_hash"), CONSTRAINT "pk_personal_access_tokens" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_personal_access_tokens_expires_at" ON "auth"."personal_access_tokens"  ("expires_at") `);
        await queryRunner.query(`CREATE INDEX "idx_personal_access_tokens_user_id" ON "auth"."personal_access_tokens"  ("user_id") `);
        await queryRunner.query(`ALTER TABLE "auth"."device_authorizations" ADD CONSTRAINT "fk_device_authorizations_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "auth"."personal_access_tokens" ADD CONSTRAINT "fk_personal_access_tokens_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "auth"."personal_access_tokens" DROP CONSTRAINT "fk_personal_access_tokens_user_id"`);
        await queryRunner.query(`ALTER TABLE "auth"."device_authorizations" DROP CONSTRAINT "fk_device_authorizations_user_id"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_personal_access_tokens_user_id"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_personal_access_tokens_expires_at"`);
        await queryRunner.query(`DROP TABLE "auth"."personal_access_tokens"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_device_authorizations_user_id"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_device_authorizations_expires_at"`);
        await queryRunner.query(`DROP TABLE "auth"."device_authorizations"`);
    }

}

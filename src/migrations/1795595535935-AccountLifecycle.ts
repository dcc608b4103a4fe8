import { MigrationInterface, QueryRunner } from "typeorm";
// migration-lint-ack: ban-drop-not-null -- only the auth service reads auth.users.password_hash (no other role may, see src/db/privileges.ts), and its code treats NULL as "cannot log in" (deleted accounts) in the same release

export class AccountLifecycle1795595535935 implements MigrationInterface {
    name = 'AccountLifecycle1795595535935'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "auth"."account_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "purpose" character varying(20) NOT NULL, "token_hash" bytea NOT NULL, "new_email" character varying(320), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_account_tokens_token_hash" UNIQUE ("token_hash"), CONSTRAINT "pk_account_tokens" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_account_tokens_user_id_purpose" ON "auth"."account_tokens"  ("user_id", "purpose") `);
        await queryRunner.query(`CREATE TABLE "auth"."mail_outbox" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "template" character varying(40) NOT NULL, "recipient" character varying(320) NOT NULL, "user_id" uuid, "params" jsonb NOT NULL DEFAULT '{}', "secret" bytea, "status" character varying(10) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "sent_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "chk_mail_outbox_status" CHECK ("status" IN ('pending', 'sent', 'failed')), CONSTRAINT "pk_mail_outbox" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_mail_outbox_user_id" ON "auth"."mail_outbox"  ("user_id") `);
        await queryRunner.query(`CREATE INDEX "idx_mail_outbox_status_next_attempt_at" ON "auth"."mail_outbox"  ("status", "next_attempt_at") `);
        await queryRunner.query(`ALTER TABLE "auth"."users" ADD "email_verified_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "auth"."users" ADD "deleted_at" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "auth"."users" ALTER COLUMN "password_hash" DROP NOT NULL`);
        await queryRunner.query(`ALTER TABLE "auth"."account_tokens" ADD CONSTRAINT "fk_account_tokens_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "auth"."account_tokens" DROP CONSTRAINT "fk_account_tokens_user_id"`);
        // Deleted accounts have no hash; a value no bcrypt hash can equal keeps them unable to log in.
        await queryRunner.query(`UPDATE "auth"."users" SET "password_hash" = '!deleted' WHERE "password_hash" IS NULL`);
        await queryRunner.query(`ALTER TABLE "auth"."users" ALTER COLUMN "password_hash" SET NOT NULL`);
        await queryRunner.query(`ALTER TABLE "auth"."users" DROP COLUMN "deleted_at"`);
        await queryRunner.query(`ALTER TABLE "auth"."users" DROP COLUMN "email_verified_at"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_mail_outbox_status_next_attempt_at"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_mail_outbox_user_id"`);
        await queryRunner.query(`DROP TABLE "auth"."mail_outbox"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_account_tokens_user_id_purpose"`);
        await queryRunner.query(`DROP TABLE "auth"."account_tokens"`);
    }

}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25 item 2: one-time codes that hand a finished web redirect sign-in to the frontend
 * (auth.redirect_handoffs, a new empty table). Only the SHA-256 of a code is stored; a row lives
 * about a minute and is deleted when spent. Down drops only these short-lived rows.
 */
export class RedirectHandoffs1796671619563 implements MigrationInterface {
  name = 'RedirectHandoffs1796671619563';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "auth"."redirect_handoffs" ("code_hash" bytea NOT NULL, "user_id" uuid NOT NULL, "provider" character varying(64) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_redirect_handoffs" PRIMARY KEY ("code_hash"))`);
    await queryRunner.query(`CREATE INDEX "idx_redirect_handoffs_user_id" ON "auth"."redirect_handoffs" ("user_id")`);
    await queryRunner.query(`ALTER TABLE "auth"."redirect_handoffs" ADD CONSTRAINT "fk_redirect_handoffs_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "auth"."redirect_handoffs"`);
  }
}

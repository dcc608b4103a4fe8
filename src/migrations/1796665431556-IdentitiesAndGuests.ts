import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25: identities of other providers (auth.identities, a new empty table: only the brief
 * SHARE ROW EXCLUSIVE of its foreign key on users) and the `guest` role of guest players.
 * ADD VALUE appends to the enum without rewriting any row; nothing in this migration uses the new
 * value, which PostgreSQL forbids in the transaction that adds it. Down drops the identities
 * (the links, not the accounts) and keeps the enum value (see down).
 */
export class IdentitiesAndGuests1796665431556 implements MigrationInterface {
  name = 'IdentitiesAndGuests1796665431556';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TYPE "auth"."user_role" ADD VALUE IF NOT EXISTS 'guest'`);
    await queryRunner.query(`CREATE TABLE "auth"."identities" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "provider" character varying(64) NOT NULL, "subject" character varying(255) NOT NULL, "email" character varying(320), "is_private_email" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_sign_in_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_identities_provider_subject" UNIQUE ("provider", "subject"), CONSTRAINT "pk_identities" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_identities_user_id" ON "auth"."identities"  ("user_id") `);
    await queryRunner.query(`ALTER TABLE "auth"."identities" ADD CONSTRAINT "fk_identities_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The `guest` value stays: PostgreSQL cannot drop an enum value, and rebuilding the type would
    // mean rebuilding every function that names it (rotate_refresh_token, live_session_user). The
    // entities of the earlier release never write it.
    await queryRunner.query(`DROP TABLE "auth"."identities"`);
  }
}

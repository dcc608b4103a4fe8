import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 26: passkeys, TOTP, recovery codes, the MFA challenge, and how a session was authenticated.
 *
 * - Five new tables, empty: no lock on anything that holds rows but the brief SHARE ROW EXCLUSIVE
 *   of their foreign keys on auth.users.
 * - auth.sessions gains `amr` (a constant default, kept in the catalog: no rewrite; sessions from
 *   before were password logins, which is what '{pwd}' says) and `auth_time` (nullable: an older
 *   session's time is its created_at, read with COALESCE, rather than the migration's time).
 * - auth.rotate_refresh_token also returns the session's amr and auth_time, for the access token
 *   of a refresh. A function's result type cannot change in place: it is dropped and created in
 *   this transaction. The previous release selects the columns it knows by name, so it keeps
 *   working against the new function during a rolling deploy.
 *
 * `down` drops the factor tables: every passkey, authenticator app and recovery code is lost, and
 * users with factors sign in with their password alone again. Roll back only before anyone enrolled.
 */
export class PasskeysAndFactors1796662186446 implements MigrationInterface {
    name = 'PasskeysAndFactors1796662186446'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // migration-lint-ack: prefer-bigint-over-int -- wrong codes on one challenge: it dies at 5
        await queryRunner.query(`CREATE TABLE "auth"."mfa_challenges" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "token_hash" bytea NOT NULL, "amr" text array NOT NULL, "failed_attempts" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_mfa_challenges_token_hash" UNIQUE ("token_hash"), CONSTRAINT "pk_mfa_challenges" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_mfa_challenges_expires_at" ON "auth"."mfa_challenges"  ("expires_at") `);
        await queryRunner.query(`CREATE INDEX "idx_mfa_challenges_user_id" ON "auth"."mfa_challenges"  ("user_id") `);
        await queryRunner.query(`CREATE TABLE "auth"."recovery_codes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "code_hash" bytea NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_recovery_codes_code_hash" UNIQUE ("code_hash"), CONSTRAINT "pk_recovery_codes" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_recovery_codes_user_id" ON "auth"."recovery_codes"  ("user_id") `);
        await queryRunner.query(`CREATE TABLE "auth"."totp_factors" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "secret" bytea NOT NULL, "confirmed_at" TIMESTAMP WITH TIME ZONE, "last_used_step" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_totp_factors_user_id" UNIQUE ("user_id"), CONSTRAINT "pk_totp_factors" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "auth"."webauthn_challenges" ("challenge_hash" bytea NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_webauthn_challenges" PRIMARY KEY ("challenge_hash"))`);
        await queryRunner.query(`CREATE INDEX "idx_webauthn_challenges_expires_at" ON "auth"."webauthn_challenges"  ("expires_at") `);
        await queryRunner.query(`CREATE TABLE "auth"."webauthn_credentials" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "credential_id" text NOT NULL, "public_key" bytea NOT NULL, "sign_count" bigint NOT NULL DEFAULT '0', "transports" text array NOT NULL DEFAULT '{}', "device_type" text NOT NULL, "backed_up" boolean NOT NULL DEFAULT false, "aaguid" uuid, "name" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_webauthn_credentials_credential_id" UNIQUE ("credential_id"), CONSTRAINT "pk_webauthn_credentials" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_webauthn_credentials_user_id" ON "auth"."webauthn_credentials"  ("user_id") `);
        await queryRunner.query(`ALTER TABLE "auth"."sessions" ADD "amr" text array NOT NULL DEFAULT '{pwd}'`);
        await queryRunner.query(`ALTER TABLE "auth"."sessions" ADD "auth_time" TIMESTAMP WITH TIME ZONE`);
        await queryRunner.query(`ALTER TABLE "auth"."mfa_challenges" ADD CONSTRAINT "fk_mfa_challenges_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "auth"."recovery_codes" ADD CONSTRAINT "fk_recovery_codes_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "auth"."totp_factors" ADD CONSTRAINT "fk_totp_factors_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "auth"."webauthn_credentials" ADD CONSTRAINT "fk_webauthn_credentials_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`DROP FUNCTION IF EXISTS "auth"."rotate_refresh_token"(uuid, integer, bytea, bytea, integer, integer)`);
        await queryRunner.query(rotateFunction(true));
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP FUNCTION IF EXISTS "auth"."rotate_refresh_token"(uuid, integer, bytea, bytea, integer, integer)`);
        await queryRunner.query(rotateFunction(false));
        await queryRunner.query(`ALTER TABLE "auth"."webauthn_credentials" DROP CONSTRAINT "fk_webauthn_credentials_user_id"`);
        await queryRunner.query(`ALTER TABLE "auth"."totp_factors" DROP CONSTRAINT "fk_totp_factors_user_id"`);
        await queryRunner.query(`ALTER TABLE "auth"."recovery_codes" DROP CONSTRAINT "fk_recovery_codes_user_id"`);
        await queryRunner.query(`ALTER TABLE "auth"."mfa_challenges" DROP CONSTRAINT "fk_mfa_challenges_user_id"`);
        await queryRunner.query(`ALTER TABLE "auth"."sessions" DROP COLUMN "auth_time"`);
        await queryRunner.query(`ALTER TABLE "auth"."sessions" DROP COLUMN "amr"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_webauthn_credentials_user_id"`);
        await queryRunner.query(`DROP TABLE "auth"."webauthn_credentials"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_webauthn_challenges_expires_at"`);
        await queryRunner.query(`DROP TABLE "auth"."webauthn_challenges"`);
        await queryRunner.query(`DROP TABLE "auth"."totp_factors"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_recovery_codes_user_id"`);
        await queryRunner.query(`DROP TABLE "auth"."recovery_codes"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_mfa_challenges_user_id"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_mfa_challenges_expires_at"`);
        await queryRunner.query(`DROP TABLE "auth"."mfa_challenges"`);
    }

}

/**
 * auth.rotate_refresh_token (migration 1795596424068 says why a function), with the session's amr
 * and auth_time among its results when `withAuthentication`.
 */
function rotateFunction(withAuthentication: boolean): string {
  const out = withAuthentication ? ', OUT amr text[], OUT auth_time timestamptz' : '';
  const returning = withAuthentication ? ', s.amr, COALESCE(s.auth_time, s.created_at)' : '';
  const into = withAuthentication ? ', amr, auth_time' : '';
  return `
CREATE OR REPLACE FUNCTION "auth"."rotate_refresh_token"(
  p_session uuid, p_generation integer, p_token_hash bytea, p_child_hash bytea, p_ttl_seconds integer, p_max_lifetime_seconds integer,
  OUT user_id uuid, OUT role "auth"."user_role", OUT email_verified boolean${out})
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE auth.sessions s
     SET refresh_generation = s.refresh_generation + 1, refresh_token_hash = p_child_hash, refresh_rotated_at = statement_timestamp(),
         last_used_at = statement_timestamp(),
         expires_at = LEAST(statement_timestamp() + make_interval(secs => p_ttl_seconds), s.created_at + make_interval(secs => p_max_lifetime_seconds))
    FROM auth.users u
   WHERE s.id = p_session AND s.refresh_generation = p_generation AND s.refresh_token_hash = p_token_hash
     AND s.revoked_at IS NULL AND s.expires_at > statement_timestamp()
     AND s.created_at > statement_timestamp() - make_interval(secs => p_max_lifetime_seconds)
     AND u.id = s.user_id AND u.is_active
  RETURNING s.user_id, u.role, u.email_verified_at IS NOT NULL${returning} INTO user_id, role, email_verified${into};
END
$fn$`;
}

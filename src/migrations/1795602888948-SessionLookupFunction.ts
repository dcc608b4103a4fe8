import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15: the session check of every authenticated request (GET /me among them) as a PL/pgSQL
 * function, for the reason auth.rotate_refresh_token is one: PL/pgSQL keeps the plans of its
 * statements for the life of the server connection, where a parameterized query is parsed,
 * analysed and planned on every call. Through a transaction-mode pooler a named prepared
 * statement is not an option (PgBouncer < 1.21); a function's plan cache needs nothing of the
 * client session. It measured at four fifths of the PostgreSQL CPU of a GET /me
 * (docs/benchmarks.md). One row, of NULLs when the session is not live. STABLE and SECURITY INVOKER: it reads
 * what its caller may read.
 */
export class SessionLookupFunction1795602888948 implements MigrationInterface {
  name = 'SessionLookupFunction1795602888948';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(LIVE_SESSION_FUNCTION);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION IF EXISTS "auth"."live_session_user"(uuid, uuid)`);
  }
}

const LIVE_SESSION_FUNCTION = `
CREATE OR REPLACE FUNCTION "auth"."live_session_user"(p_session uuid, p_user uuid,
  OUT email text, OUT role "auth"."user_role", OUT display_name text, OUT created_at timestamptz, OUT email_verified boolean)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  SELECT u.email, u.role, u.display_name, u.created_at, u.email_verified_at IS NOT NULL
    INTO email, role, display_name, created_at, email_verified
    FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
   WHERE s.id = p_session AND s.user_id = p_user AND s.revoked_at IS NULL AND s.expires_at > statement_timestamp() AND u.is_active;
END
$fn$`;

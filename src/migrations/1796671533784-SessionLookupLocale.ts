import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 30: GET /me shows the user's locale, and GET /me reads the user through
 * auth.live_session_user (migration SessionLookupFunction), so the function gains an OUT locale.
 * PostgreSQL refuses CREATE OR REPLACE when the OUT columns change ("cannot change return type of
 * existing function"): it is dropped and made again in this migration's transaction, with the
 * EXECUTE grants it had (read from pg_proc, not assumed), so no caller sees it missing. The
 * arguments are unchanged, so the code of the previous release, which names its five columns,
 * keeps working against the new function during a rolling deploy. Down restores the previous
 * definition the same way.
 */
export class SessionLookupLocale1796671533784 implements MigrationInterface {
  name = 'SessionLookupLocale1796671533784';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await replaceKeepingGrants(queryRunner, WITH_LOCALE);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await replaceKeepingGrants(queryRunner, WITHOUT_LOCALE);
  }
}

const SIGNATURE = `"auth"."live_session_user"(uuid, uuid)`;

async function replaceKeepingGrants(queryRunner: QueryRunner, definition: string): Promise<void> {
  const [fn]: { acl: { grantee: string; privilege: string }[] | null; explicit: boolean }[] = await queryRunner.query(`
    SELECT p.proacl IS NOT NULL AS explicit,
           (SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(a.grantee::regrole::text) END, 'privilege', a.privilege_type))
              FROM aclexplode(p.proacl) a WHERE a.grantee <> p.proowner) AS acl
      FROM pg_proc p WHERE p.oid = '${SIGNATURE}'::regprocedure`);
  await queryRunner.query(`DROP FUNCTION ${SIGNATURE}`);
  await queryRunner.query(definition);
  // A NULL proacl means the defaults (EXECUTE to PUBLIC), which the new function has already.
  if (!fn?.explicit) return;
  await queryRunner.query(`REVOKE ALL ON FUNCTION ${SIGNATURE} FROM PUBLIC`);
  for (const grant of fn.acl ?? []) await queryRunner.query(`GRANT ${grant.privilege} ON FUNCTION ${SIGNATURE} TO ${grant.grantee}`);
}

const WITH_LOCALE = `
CREATE FUNCTION "auth"."live_session_user"(p_session uuid, p_user uuid,
  OUT email text, OUT role "auth"."user_role", OUT display_name text, OUT created_at timestamptz, OUT email_verified boolean, OUT locale text)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  SELECT u.email, u.role, u.display_name, u.created_at, u.email_verified_at IS NOT NULL, u.locale
    INTO email, role, display_name, created_at, email_verified, locale
    FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
   WHERE s.id = p_session AND s.user_id = p_user AND s.revoked_at IS NULL AND s.expires_at > statement_timestamp() AND u.is_active;
END
$fn$`;

// SessionLookupFunction's definition, as it was.
const WITHOUT_LOCALE = `
CREATE FUNCTION "auth"."live_session_user"(p_session uuid, p_user uuid,
  OUT email text, OUT role "auth"."user_role", OUT display_name text, OUT created_at timestamptz, OUT email_verified boolean)
LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  SELECT u.email, u.role, u.display_name, u.created_at, u.email_verified_at IS NOT NULL
    INTO email, role, display_name, created_at, email_verified
    FROM auth.sessions s JOIN auth.users u ON u.id = s.user_id
   WHERE s.id = p_session AND s.user_id = p_user AND s.revoked_at IS NULL AND s.expires_at > statement_timestamp() AND u.is_active;
END
$fn$`;

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15: a refresh token's state moves onto its session row (src/auth/sessions.ts), and issue 9
 * H2: every foreign key gets an index on its referencing columns, or loses the constraint.
 *
 * Safe on large tables, statement by statement:
 * - the three new session columns are added without a rewrite (nullable, or a constant default,
 *   which PostgreSQL 11+ keeps in the catalog): a moment's ACCESS EXCLUSIVE lock, bounded by the
 *   migrator's lock_timeout;
 * - auth.rotate_refresh_token() is the common rotation (src/auth/sessions.ts says why a function);
 * - fillfactor only applies to pages written from now on (no rewrite): room for a row's next
 *   version on its own page, so that rotations stay heap-only (HOT) updates;
 * - refresh_tokens.parent_id loses its self-referencing foreign key (dropping a constraint scans
 *   nothing). With it, deleting a token made PostgreSQL scan the whole table for children to set
 *   to NULL (13 s per 1,000-row prune batch at 200,000 rows). No new rows are written to that
 *   table, and nothing follows parent_id as a reference, so an index would only cost writes;
 * - the two foreign keys of the installation tables without an index get one. Built in the
 *   migration's transaction, not CONCURRENTLY: a CREATE INDEX CONCURRENTLY waits for every older
 *   snapshot, including that of another `migrate up` waiting for the migration lock, which waits
 *   for this one: three concurrent runners failed (test/migrator/one-writer.test.ts). These tables
 *   are the installation service's, small today; the build blocks their writes while it runs.
 *
 * Sessions keep their tokens: a token issued before this migration is still found in
 * refresh_tokens and is accepted until it is rotated into the new format.
 */
export class RefreshTokensOnSessions1795596424068 implements MigrationInterface {
  name = 'RefreshTokensOnSessions1795596424068';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // migration-lint-ack: prefer-bigint-over-int -- rotations of one session: it lives at most SESSION_MAX_LIFETIME_SECONDS (90 days by default), 7.8 million even at one per second; tokens carry at most 9 digits
    await queryRunner.query(
      `ALTER TABLE "auth"."sessions" ADD COLUMN IF NOT EXISTS "refresh_generation" integer NOT NULL DEFAULT 0, ` +
        `ADD COLUMN IF NOT EXISTS "refresh_token_hash" bytea, ADD COLUMN IF NOT EXISTS "refresh_rotated_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(`ALTER TABLE "auth"."sessions" SET (fillfactor = 90)`);
    await queryRunner.query(ROTATE_FUNCTION);
    await queryRunner.query(`ALTER TABLE "auth"."refresh_tokens" DROP CONSTRAINT IF EXISTS "fk_refresh_tokens_parent_id"`);
    // migration-lint-ack: require-concurrent-index-creation -- CONCURRENTLY deadlocks with runners waiting for the migration lock (see above); small tables
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "idx_installations_cat_id" ON "installation"."installations" ("cat_id")`);
    // migration-lint-ack: require-concurrent-index-creation -- as above
    await queryRunner.query(`CREATE INDEX IF NOT EXISTS "idx_installation_permissions_permission_id" ON "installation"."installation_permissions" ("permission_id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION IF EXISTS "auth"."rotate_refresh_token"(uuid, integer, bytea, bytea, integer, integer)`);
    // migration-lint-ack: require-concurrent-index-deletion -- the down of the indexes above, same reason
    await queryRunner.query(`DROP INDEX IF EXISTS "installation"."idx_installation_permissions_permission_id"`);
    // migration-lint-ack: require-concurrent-index-deletion -- as above
    await queryRunner.query(`DROP INDEX IF EXISTS "installation"."idx_installations_cat_id"`);
    // Orphans are possible without the constraint (pruning deleted parents); NOT VALID keeps them
    // and checks new rows only, like the constraint did not look back either.
    await queryRunner.query(`UPDATE "auth"."refresh_tokens" SET "parent_id" = NULL WHERE "parent_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "auth"."refresh_tokens" p WHERE p."id" = "refresh_tokens"."parent_id")`);
    await queryRunner.query(
      `ALTER TABLE "auth"."refresh_tokens" ADD CONSTRAINT "fk_refresh_tokens_parent_id" FOREIGN KEY ("parent_id") REFERENCES "auth"."refresh_tokens"("id") ON DELETE SET NULL ON UPDATE NO ACTION NOT VALID`,
    );
    await queryRunner.query(`ALTER TABLE "auth"."refresh_tokens" VALIDATE CONSTRAINT "fk_refresh_tokens_parent_id"`);
    await queryRunner.query(`ALTER TABLE "auth"."sessions" RESET (fillfactor)`);
    // Each session's current token goes back to a refresh_tokens row (its hash is what that table
    // stores), so that after a later `up` the same code accepts it once more, as a stored token
    // (sessions.ts). The previous code itself refuses tokens of the new format by their shape: a
    // real downgrade of the service logs in again whoever logged in or refreshed since `up`.
    await queryRunner.query(
      `INSERT INTO "auth"."refresh_tokens" ("session_id", "token_hash", "expires_at")
       SELECT "id", "refresh_token_hash", "expires_at" FROM "auth"."sessions" WHERE "refresh_token_hash" IS NOT NULL AND "revoked_at" IS NULL
       ON CONFLICT ("token_hash") DO NOTHING`,
    );
    await queryRunner.query(`ALTER TABLE "auth"."sessions" DROP COLUMN IF EXISTS "refresh_rotated_at", DROP COLUMN IF EXISTS "refresh_token_hash", DROP COLUMN IF EXISTS "refresh_generation"`);
  }
}

/**
 * The common rotation as one UPDATE, in PL/pgSQL so that each server connection plans it once
 * (PL/pgSQL keeps its statements' plans; a plain parameterized query is parsed, analysed and
 * planned on every call, which was a third of the rotation's PostgreSQL CPU). Returns a row of
 * NULLs when nothing matched. SECURITY INVOKER: it can do nothing its caller cannot.
 */
const ROTATE_FUNCTION = `
CREATE OR REPLACE FUNCTION "auth"."rotate_refresh_token"(
  p_session uuid, p_generation integer, p_token_hash bytea, p_child_hash bytea, p_ttl_seconds integer, p_max_lifetime_seconds integer,
  OUT user_id uuid, OUT role "auth"."user_role", OUT email_verified boolean)
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
  RETURNING s.user_id, u.role, u.email_verified_at IS NOT NULL INTO user_id, role, email_verified;
END
$fn$`;

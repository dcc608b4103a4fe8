import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 25: identities of other providers (auth.identities, a new empty table: only the brief
 * SHARE ROW EXCLUSIVE of its foreign key on users) and the `guest` role of guest players.
 * ADD VALUE appends to the enum without rewriting any row; nothing in this migration uses the new
 * value, which PostgreSQL forbids in the transaction that adds it. Down refuses while a guest
 * exists, drops the identities (the links, not the accounts) and rebuilds the enum without guest.
 */
export class IdentitiesAndGuests1796670672380 implements MigrationInterface {
  name = 'IdentitiesAndGuests1796670672380';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TYPE "auth"."user_role" ADD VALUE IF NOT EXISTS 'guest'`);
    await queryRunner.query(`CREATE TABLE "auth"."identities" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "provider" character varying(64) NOT NULL, "subject" character varying(255) NOT NULL, "email" character varying(320), "is_private_email" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_sign_in_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_identities_provider_subject" UNIQUE ("provider", "subject"), CONSTRAINT "pk_identities" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_identities_user_id" ON "auth"."identities"  ("user_id") `);
    await queryRunner.query(`ALTER TABLE "auth"."identities" ADD CONSTRAINT "fk_identities_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Refused rather than deleting accounts: a guest may own rows in other services.
    const guests: unknown[] = await queryRunner.query(`SELECT 1 FROM "auth"."users" WHERE "role" = 'guest' LIMIT 1`);
    if (guests.length > 0) {
      throw new Error('IdentitiesAndGuests down: guest accounts exist (role guest); upgrade or delete them first, the guest role cannot be removed while rows hold it');
    }
    await queryRunner.query(`DROP TABLE "auth"."identities"`);
    // PostgreSQL cannot drop an enum value: the type is rebuilt. The functions that name it
    // (rotate_refresh_token, live_session_user) are dropped and made again from their own
    // definitions, with their EXECUTE grants.
    const fns: { signature: string; def: string; acl: { grantee: string; privilege: string }[] | null }[] = await queryRunner.query(`
      SELECT p.oid::regprocedure::text AS signature, pg_get_functiondef(p.oid) AS def,
             (SELECT json_agg(json_build_object('grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(a.grantee::regrole::text) END, 'privilege', a.privilege_type))
                FROM aclexplode(p.proacl) a) AS acl
        FROM pg_proc p
       WHERE p.prorettype = 'auth.user_role'::regtype OR 'auth.user_role'::regtype = ANY(coalesce(p.proallargtypes, p.proargtypes::oid[]))`);
    for (const fn of fns) await queryRunner.query(`DROP FUNCTION ${fn.signature}`);
    await queryRunner.query(`ALTER TYPE "auth"."user_role" RENAME TO "user_role_with_guest"`);
    await queryRunner.query(`CREATE TYPE "auth"."user_role" AS ENUM('player', 'developer', 'admin')`);
    await queryRunner.query(`ALTER TABLE "auth"."users" ALTER COLUMN "role" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "auth"."users" ALTER COLUMN "role" TYPE "auth"."user_role" USING "role"::text::"auth"."user_role"`);
    await queryRunner.query(`ALTER TABLE "auth"."users" ALTER COLUMN "role" SET DEFAULT 'player'`);
    await queryRunner.query(`DROP TYPE "auth"."user_role_with_guest"`);
    for (const fn of fns) {
      await queryRunner.query(fn.def);
      if (fn.acl === null) continue;
      await queryRunner.query(`REVOKE ALL ON FUNCTION ${fn.signature} FROM PUBLIC`);
      for (const grant of fn.acl) await queryRunner.query(`GRANT ${grant.privilege} ON FUNCTION ${fn.signature} TO ${grant.grantee}`);
    }
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 22 L1: a grant (installation.installation_permissions) names a permission of the
 * installation's own cat, and the database now holds it to that. The grant gets the cat's id, and
 * its two foreign keys become composite: (installation_id, cat_id) -> installations (id, cat_id)
 * and (permission_id, cat_id) -> permissions (id, cat_id), which need UNIQUE (id, cat_id) on both
 * (the id alone is already unique, so these never refuse an existing row).
 *
 * A grant written without cat_id (the installation service's INSERT as it stands) gets its
 * installation's cat from a BEFORE INSERT trigger, so that service needs no change in step with
 * this one; the keys then refuse a permission of another cat either way.
 *
 * Existing grants get their installation's cat. A grant whose permission belongs to another cat
 * cannot be kept under the new keys and cannot be made right by guessing; the migration stops and
 * names how many there are and how to find them rather than deleting them.
 *
 * Everything runs in the migration's transaction, under the tables' locks, for the reason of
 * UserListIndexes (CONCURRENTLY deadlocks with `migrate up` runs waiting for the lock). The
 * backfill rewrites each grant once; the constraints and indexes then read those rows again.
 */
export class InstallationGrantsOfOwnCat1796654463436 implements MigrationInterface {
  name = 'InstallationGrantsOfOwnCat1796654463436';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "installation"."installation_permissions" ADD "cat_id" uuid`);
    await queryRunner.query(
      `UPDATE "installation"."installation_permissions" ip SET "cat_id" = i."cat_id" FROM "installation"."installations" i WHERE i."id" = ip."installation_id"`,
    );
    await queryRunner.query(`
DO $$
DECLARE mismatched bigint;
BEGIN
  SELECT count(*) INTO mismatched
    FROM "installation"."installation_permissions" ip JOIN "catalog"."permissions" p ON p."id" = ip."permission_id"
   WHERE p."cat_id" <> ip."cat_id";
  IF mismatched > 0 THEN
    RAISE EXCEPTION '% grant(s) in installation.installation_permissions name a permission of another cat than their installation''s', mismatched
      USING HINT = 'find them with: SELECT ip.* FROM installation.installation_permissions ip JOIN installation.installations i ON i.id = ip.installation_id JOIN catalog.permissions p ON p.id = ip.permission_id WHERE p.cat_id <> i.cat_id; delete or correct them, then run the migration again';
  END IF;
END
$$`);
    await queryRunner.query(`
CREATE OR REPLACE FUNCTION "installation"."installation_permissions_cat"() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.cat_id IS NULL THEN
    SELECT i.cat_id INTO NEW.cat_id FROM installation.installations i WHERE i.id = NEW.installation_id;
  END IF;
  RETURN NEW;
END
$fn$`);
    await queryRunner.query(
      `CREATE TRIGGER "trg_installation_permissions_cat" BEFORE INSERT ON "installation"."installation_permissions" FOR EACH ROW EXECUTE FUNCTION "installation"."installation_permissions_cat"()`,
    );
    // migration-lint-ack: adding-not-nullable-field -- every row was given its cat just above, in this transaction
    await queryRunner.query(`ALTER TABLE "installation"."installation_permissions" ALTER COLUMN "cat_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "installation"."installation_permissions" DROP CONSTRAINT "fk_installation_permissions_installation_id"`);
    await queryRunner.query(`ALTER TABLE "installation"."installation_permissions" DROP CONSTRAINT "fk_installation_permissions_permission_id"`);
    // migration-lint-ack: require-concurrent-index-deletion -- replaced in this transaction by the (permission_id, cat_id) index below
    await queryRunner.query(`DROP INDEX "installation"."idx_installation_permissions_permission_id"`);
    // migration-lint-ack: require-concurrent-index-creation -- CONCURRENTLY deadlocks with migrate runs waiting for the lock (see above)
    await queryRunner.query(`CREATE INDEX "idx_installation_permissions_permission_id_cat_id" ON "installation"."installation_permissions" ("permission_id", "cat_id")`);
    // migration-lint-ack: require-concurrent-index-creation -- the same
    await queryRunner.query(`CREATE INDEX "idx_installation_permissions_installation_id_cat_id" ON "installation"."installation_permissions" ("installation_id", "cat_id")`);
    // migration-lint-ack: disallowed-unique-constraint -- the same; (id, cat_id) of a table whose id is its primary key
    await queryRunner.query(`ALTER TABLE "catalog"."permissions" ADD CONSTRAINT "uq_permissions_id_cat_id" UNIQUE ("id", "cat_id")`);
    // migration-lint-ack: disallowed-unique-constraint -- the same
    await queryRunner.query(`ALTER TABLE "installation"."installations" ADD CONSTRAINT "uq_installations_id_cat_id" UNIQUE ("id", "cat_id")`);
    // migration-lint-ack: adding-foreign-key-constraint -- replaces the single-column key on the same rows in this transaction; a NOT VALID key would leave the old rows unchecked
    // migration-lint-ack: constraint-missing-not-valid -- the same
    await queryRunner.query(
      `ALTER TABLE "installation"."installation_permissions" ADD CONSTRAINT "fk_installation_permissions_installation_id_cat_id" FOREIGN KEY ("installation_id", "cat_id") REFERENCES "installation"."installations"("id","cat_id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // migration-lint-ack: adding-foreign-key-constraint -- the same
    // migration-lint-ack: constraint-missing-not-valid -- the same
    await queryRunner.query(
      `ALTER TABLE "installation"."installation_permissions" ADD CONSTRAINT "fk_installation_permissions_permission_id_cat_id" FOREIGN KEY ("permission_id", "cat_id") REFERENCES "catalog"."permissions"("id","cat_id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "installation"."installation_permissions" DROP CONSTRAINT "fk_installation_permissions_permission_id_cat_id"`);
    await queryRunner.query(`ALTER TABLE "installation"."installation_permissions" DROP CONSTRAINT "fk_installation_permissions_installation_id_cat_id"`);
    await queryRunner.query(`ALTER TABLE "installation"."installations" DROP CONSTRAINT "uq_installations_id_cat_id"`);
    await queryRunner.query(`ALTER TABLE "catalog"."permissions" DROP CONSTRAINT "uq_permissions_id_cat_id"`);
    await queryRunner.query(`DROP INDEX "installation"."idx_installation_permissions_installation_id_cat_id"`);
    await queryRunner.query(`DROP INDEX "installation"."idx_installation_permissions_permission_id_cat_id"`);
    await queryRunner.query(`CREATE INDEX "idx_installation_permissions_permission_id" ON "installation"."installation_permissions" ("permission_id")`);
    await queryRunner.query(
      `ALTER TABLE "installation"."installation_permissions" ADD CONSTRAINT "fk_installation_permissions_permission_id" FOREIGN KEY ("permission_id") REFERENCES "catalog"."permissions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "installation"."installation_permissions" ADD CONSTRAINT "fk_installation_permissions_installation_id" FOREIGN KEY ("installation_id") REFERENCES "installation"."installations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`DROP TRIGGER IF EXISTS "trg_installation_permissions_cat" ON "installation"."installation_permissions"`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS "installation"."installation_permissions_cat"()`);
    await queryRunner.query(`ALTER TABLE "installation"."installation_permissions" DROP COLUMN "cat_id"`);
  }
}

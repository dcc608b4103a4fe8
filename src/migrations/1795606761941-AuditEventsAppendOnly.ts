import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log is append-only in the database, not only by convention: a row of
 * auth.audit_events can be inserted, and deleted (AUTH_EVENTS_RETENTION_DAYS pruning), but no
 * statement may change one. The auth role keeps UPDATE on every table of its schema (the privilege
 * policy grants `*`, so tables made later are covered), so a trigger is what refuses it, for every
 * role including the owner; it answers 42501 (insufficient_privilege) naming the table. Nothing in
 * the service updates an event, and no foreign key points from the log to a row that could
 * cascade an update into it. Creating a trigger on an existing table takes a brief SHARE ROW
 * EXCLUSIVE lock and scans nothing.
 */
export class AuditEventsAppendOnly1795606761941 implements MigrationInterface {
  name = 'AuditEventsAppendOnly1795606761941';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
CREATE OR REPLACE FUNCTION "auth"."audit_events_append_only"() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION 'auth.audit_events is append-only: events are inserted, and deleted by retention, never changed'
    USING ERRCODE = 'insufficient_privilege';
END
$fn$`);
    await queryRunner.query(
      `CREATE TRIGGER "trg_audit_events_append_only" BEFORE UPDATE ON "auth"."audit_events" FOR EACH ROW EXECUTE FUNCTION "auth"."audit_events_append_only"()`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS "trg_audit_events_append_only" ON "auth"."audit_events"`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS "auth"."audit_events_append_only"()`);
  }
}

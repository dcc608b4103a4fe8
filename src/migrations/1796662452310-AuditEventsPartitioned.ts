import type { MigrationInterface, QueryRunner } from 'typeorm';

// This file is long (about 300 lines) on purpose: a migration is frozen once applied, so the
// functions it installs are written out here rather than imported from code that will change.

/**
 * Issue 31 item 2 and issue 22 M6: auth.audit_events partitioned by month, and append-only for
 * the role that writes it.
 *
 * - The table is range-partitioned on occurred_at, one partition a month (UTC), kept in the
 *   schema auth_audit with a DEFAULT partition that catches a row no month takes (so an insert
 *   never fails when maintenance has not run). Partitions are created three months ahead, and
 *   retention drops whole partitions: no DELETE of millions of rows, no bloat, no vacuum debt.
 * - id and occurred_at are the database's: a trigger draws the id from auth_audit's sequence and
 *   refuses a row that names its own id or a time other than now(). The runtime role gets SELECT,
 *   and INSERT on the other columns only (src/db/privileges.ts), so it can neither delete an event
 *   nor write one with a chosen id or time (42501 either way).
 * - auth_audit.maintain(retention_days) is the only way the runtime removes events: it runs as
 *   its owner (the migration role), creates the coming months and drops months wholly older than
 *   the retention, and never anything younger than 30 days whatever it is asked. Roles reach it
 *   through USAGE on auth_audit, which the privilege policy gives to auth alone.
 *
 * The conversion is online and resumable, for a table of tens of millions of rows
 * (`transaction = false`: every batch commits on its own):
 *   1. the partitioned table is built beside the old one (auth.audit_events_partitioned);
 *   2. a trigger on the old table copies every new row into it, in the inserting transaction
 *      (creating the trigger waits for inserts in flight, so every row is either committed
 *      before it or copied by it), created in the transaction that records the last id before it;
 *   3. the rows from before the trigger are copied in batches of BATCH rows, in id order; a
 *      rerun after a failure continues after the last copied id (kept in auth_audit.conversion);
 *   4. a check that no row of the old table is missing from the new one;
 *   5. one short transaction swaps the tables (ACCESS EXCLUSIVE on the old one, bounded by the
 *      migrator's lock_timeout: inserts wait for the renames, not for the copy) and drops the old
 *      table, whose rows are all in the new one.
 * Inside a transaction (a runner that forces one) the same steps run in it, which is fine for
 * small tables. Old instances of the service keep working during a rolling deploy: their inserts
 * name no id or time; their DELETE-based pruning gets 42501 once the policy is applied and is
 * retried and logged until they are replaced.
 */
export class AuditEventsPartitioned1796662452310 implements MigrationInterface {
  name = 'AuditEventsPartitioned1796662452310';
  transaction = false as const;

  public async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string, params?: unknown[]) => queryRunner.query(sql, params) as Promise<Record<string, unknown>[]>;
    await q(`CREATE SCHEMA IF NOT EXISTS "auth_audit"`);
    await q(`CREATE SEQUENCE IF NOT EXISTS "auth_audit"."audit_event_id_seq" AS bigint`);
    await q(ASSIGN_IDENTITY_FUNCTION);
    await q(CREATE_PARTITION_FUNCTION);
    await q(`REVOKE EXECUTE ON FUNCTION "auth_audit"."create_partition"(date, regclass) FROM PUBLIC`);
    await q(MAINTAIN_FUNCTION);

    const [kind] = await q(`SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'auth' AND c.relname = 'audit_events'`);
    if (kind?.relkind === 'p') return; // converted by an earlier run that failed after its swap

    // 1. The new table, its indexes (partitioned indexes: each partition gets its own), the
    // DEFAULT partition, and a partition for every month from the oldest event to three ahead.
    await q(
      `CREATE TABLE IF NOT EXISTS "auth"."audit_events_partitioned" ("id" bigint NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "type" character varying(50) NOT NULL, "user_id" uuid, "actor_id" uuid, "session_id" uuid, "ip" inet, "user_agent" character varying(512), "detail" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "pk_audit_events_partitioned" PRIMARY KEY ("id", "occurred_at")) PARTITION BY RANGE ("occurred_at")`,
    );
    // migration-lint-ack: require-concurrent-index-creation -- on the new, empty partitioned table (CONCURRENTLY is impossible on a partitioned table; its partitions are filled after)
    await q(`CREATE INDEX IF NOT EXISTS "idx_audit_events_partitioned_type_id" ON "auth"."audit_events_partitioned" ("type", "id")`);
    await q(`CREATE INDEX IF NOT EXISTS "idx_audit_events_partitioned_user_id_id" ON "auth"."audit_events_partitioned" ("user_id", "id")`);
    await q(`CREATE TABLE IF NOT EXISTS "auth_audit"."audit_events_default" PARTITION OF "auth"."audit_events_partitioned" DEFAULT`);
    await q(
      `SELECT "auth_audit"."create_partition"(m::date, 'auth.audit_events_partitioned')
         FROM generate_series(
                date_trunc('month', LEAST((SELECT min("occurred_at") FROM "auth"."audit_events"), now()) AT TIME ZONE 'UTC'),
                date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') m`,
    );

    // 2. Every row inserted from now on is copied in its own transaction. The trigger and the
    // copy's upper bound (the last id from before it) are set in one transaction: CREATE TRIGGER's
    // SHARE ROW EXCLUSIVE lock holds inserts until the commit, so no row the trigger copied can be
    // counted in the bound. (Apart, a row inserted between the two was both copied and below the
    // bound, and the resume point, the highest copied id under the bound, skipped every old row.)
    await q(COPY_NEW_EVENT_FUNCTION);
    await inTransaction(queryRunner, async () => {
      const [trigger] = await q(`SELECT 1 AS found FROM pg_trigger WHERE tgrelid = 'auth.audit_events'::regclass AND tgname = 'trg_audit_events_copy'`);
      if (!trigger) {
        await q(`CREATE TRIGGER "trg_audit_events_copy" AFTER INSERT ON "auth"."audit_events" FOR EACH ROW EXECUTE FUNCTION "auth_audit"."copy_new_event"()`);
      }
      await q(`CREATE TABLE IF NOT EXISTS "auth_audit"."conversion" ("upper_id" bigint NOT NULL)`);
      await q(`INSERT INTO "auth_audit"."conversion" SELECT COALESCE(max("id"), 0) FROM "auth"."audit_events" WHERE NOT EXISTS (SELECT 1 FROM "auth_audit"."conversion")`);
    });

    // 3. The rows from before the trigger, in batches, from where an earlier run stopped.
    const [{ upper_id: upper = '0' } = {}] = await q(`SELECT "upper_id"::text FROM "auth_audit"."conversion"`);
    const [{ done = '0' } = {}] = await q(`SELECT COALESCE(max("id"), 0)::text AS done FROM "auth"."audit_events_partitioned" WHERE "id" <= $1::bigint`, [upper]);
    for (let from = String(done); ; ) {
      const [batch] = await q(
        `WITH src AS (
           SELECT "id", "occurred_at", "type", "user_id", "actor_id", "session_id", "ip", "user_agent", "detail"
             FROM "auth"."audit_events" WHERE "id" > $1::bigint AND "id" <= $2::bigint ORDER BY "id" LIMIT $3
         ), copied AS (
           INSERT INTO "auth"."audit_events_partitioned" SELECT * FROM src ON CONFLICT DO NOTHING
         )
         SELECT max("id")::text AS last, count(*)::int AS n FROM src`,
        [from, upper, BATCH],
      );
      if (!batch || !batch.last || Number(batch.n) < BATCH) break;
      from = String(batch.last);
    }

    // 4. Nothing is dropped unless every row of the old table is in the new one.
    const [missing] = await q(
      `SELECT count(*)::int AS n FROM "auth"."audit_events" o WHERE NOT EXISTS (SELECT 1 FROM "auth"."audit_events_partitioned" p WHERE p."id" = o."id" AND p."occurred_at" = o."occurred_at")`,
    );
    if (missing && Number(missing.n) > 0) {
      throw new Error(`${missing.n} row(s) of auth.audit_events were not copied to auth.audit_events_partitioned; nothing was swapped or dropped: run the migration again`);
    }

    // 5. The swap, in one short transaction.
    await inTransaction(queryRunner, async () => {
      await q(`LOCK TABLE "auth"."audit_events" IN ACCESS EXCLUSIVE MODE`);
      await q(`DROP TRIGGER "trg_audit_events_copy" ON "auth"."audit_events"`);
      // The new table takes the old one's grants, so the service writes on across the swap
      // whatever default privileges its schema has; `up` then applies the privilege policy.
      await q(COPY_GRANTS);
      // The id sequence goes on after every id the old identity handed out (rolled-back ones too).
      await q(
        `SELECT setval('"auth_audit"."audit_event_id_seq"', GREATEST(
           (SELECT COALESCE(max("id"), 0) FROM "auth"."audit_events_partitioned"),
           COALESCE(pg_sequence_last_value(pg_get_serial_sequence('"auth"."audit_events"', 'id')::regclass), 0), 1))`,
      );
      // migration-lint-ack: ban-drop-table -- every row of the old table is in the new one (checked just above, and new rows were copied by the trigger until this lock)
      await q(`DROP TABLE "auth"."audit_events"`);
      // migration-lint-ack: renaming-table -- the new table takes the old name in the transaction that drops the old one; the service's statements name no partition
      await q(`ALTER TABLE "auth"."audit_events_partitioned" RENAME TO "audit_events"`);
      await q(`ALTER TABLE "auth"."audit_events" RENAME CONSTRAINT "pk_audit_events_partitioned" TO "pk_audit_events"`);
      await q(`ALTER INDEX "auth"."idx_audit_events_partitioned_type_id" RENAME TO "idx_audit_events_type_id"`);
      await q(`ALTER INDEX "auth"."idx_audit_events_partitioned_user_id_id" RENAME TO "idx_audit_events_user_id_id"`);
      await q(`CREATE TRIGGER "trg_audit_events_identity" BEFORE INSERT ON "auth"."audit_events" FOR EACH ROW EXECUTE FUNCTION "auth_audit"."assign_event_identity"()`);
      await q(`CREATE TRIGGER "trg_audit_events_append_only" BEFORE UPDATE ON "auth"."audit_events" FOR EACH ROW EXECUTE FUNCTION "auth"."audit_events_append_only"()`);
      // migration-lint-ack: ban-drop-table -- the conversion's own bookkeeping (the last id it had to copy)
      await q(`DROP TABLE "auth_audit"."conversion"`);
      await q(`DROP FUNCTION "auth_audit"."copy_new_event"()`);
    });
  }

  /** Back to one plain table with an identity id, every row kept (one transaction: for small tables). */
  public async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql) as Promise<unknown>;
    await inTransaction(queryRunner, async () => {
      await q(`LOCK TABLE "auth"."audit_events" IN EXCLUSIVE MODE`);
      await q(
        `CREATE TABLE "auth"."audit_events_plain" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "type" character varying(50) NOT NULL, "user_id" uuid, "actor_id" uuid, "session_id" uuid, "ip" inet, "user_agent" character varying(512), "detail" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "pk_audit_events_plain" PRIMARY KEY ("id"))`,
      );
      await q(
        `INSERT INTO "auth"."audit_events_plain" OVERRIDING SYSTEM VALUE
         SELECT "id", "occurred_at", "type", "user_id", "actor_id", "session_id", "ip", "user_agent", "detail" FROM "auth"."audit_events" ORDER BY "id"`,
      );
      await q(
        `SELECT setval(pg_get_serial_sequence('"auth"."audit_events_plain"', 'id'), GREATEST(
           (SELECT COALESCE(max("id"), 0) FROM "auth"."audit_events_plain"), COALESCE(pg_sequence_last_value('"auth_audit"."audit_event_id_seq"'), 0), 1))`,
      );
      // migration-lint-ack: ban-drop-table -- every row was copied to auth.audit_events_plain just above
      await q(`DROP TABLE "auth"."audit_events"`);
      // migration-lint-ack: renaming-table -- the plain table takes the name in the transaction that drops the partitioned one
      await q(`ALTER TABLE "auth"."audit_events_plain" RENAME TO "audit_events"`);
      await q(`ALTER TABLE "auth"."audit_events" RENAME CONSTRAINT "pk_audit_events_plain" TO "pk_audit_events"`);
      await q(`CREATE INDEX "idx_audit_events_type_id" ON "auth"."audit_events" ("type", "id")`);
      await q(`CREATE INDEX "idx_audit_events_user_id_id" ON "auth"."audit_events" ("user_id", "id")`);
      await q(`CREATE TRIGGER "trg_audit_events_append_only" BEFORE UPDATE ON "auth"."audit_events" FOR EACH ROW EXECUTE FUNCTION "auth"."audit_events_append_only"()`);
      await q(`DROP FUNCTION IF EXISTS "auth_audit"."maintain"(integer)`);
      await q(`DROP FUNCTION IF EXISTS "auth_audit"."create_partition"(date, regclass)`);
      await q(`DROP FUNCTION IF EXISTS "auth_audit"."assign_event_identity"()`);
      await q(`DROP SEQUENCE IF EXISTS "auth_audit"."audit_event_id_seq"`);
      await q(`DROP SCHEMA IF EXISTS "auth_audit"`);
    });
  }
}

/** Rows per batch of the copy: about a second of work each, so a batch never holds much. */
const BATCH = 50_000;

/** Runs `fn` in a transaction of its own, or in the runner's when it already has one. */
async function inTransaction(runner: QueryRunner, fn: () => Promise<void>): Promise<void> {
  if (runner.isTransactionActive) return fn();
  await runner.startTransaction();
  try {
    await fn();
    await runner.commitTransaction();
  } catch (err) {
    await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  }
}

/**
 * The id and the time of an event are the database's. SECURITY DEFINER: the inserting role needs
 * no privilege on the sequence (and so cannot draw or set ids itself). A row that names an id, or
 * a time other than the transaction's, is refused with 42501 (the runtime role cannot even name
 * those columns: it has no INSERT privilege on them). Bulk loads of history (the bench's seeding)
 * run as a superuser with session_replication_role = replica, where this trigger does not fire.
 */
const ASSIGN_IDENTITY_FUNCTION = `
CREATE OR REPLACE FUNCTION "auth_audit"."assign_event_identity"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF NEW.id IS NOT NULL OR NEW.occurred_at IS DISTINCT FROM now() THEN
    RAISE EXCEPTION 'auth.audit_events: the id and occurred_at of an event are set by the database'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  NEW.id := nextval('auth_audit.audit_event_id_seq');
  RETURN NEW;
END
$fn$`;

/**
 * The partition of one month (UTC) of a partitioned audit table, unless it exists. Built as a
 * table of its own with a CHECK of its range and then attached: ATTACH PARTITION takes only a
 * SHARE UPDATE EXCLUSIVE lock on the parent (inserts go on) and skips its validation scan thanks
 * to the CHECK, where CREATE TABLE ... PARTITION OF would lock the parent against everything.
 * Rows that the DEFAULT partition took for that month (maintenance had not run) move into it
 * first. Not for the runtime (EXECUTE revoked from PUBLIC): auth_audit.maintain calls it.
 */
const CREATE_PARTITION_FUNCTION = `
CREATE OR REPLACE FUNCTION "auth_audit"."create_partition"(p_month date, p_parent regclass) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  lo timestamptz := date_trunc('month', p_month::timestamp) AT TIME ZONE 'UTC';
  hi timestamptz := (date_trunc('month', p_month::timestamp) + interval '1 month') AT TIME ZONE 'UTC';
  part text := 'audit_events_' || to_char(p_month, 'YYYY_MM');
BEGIN
  IF to_regclass(format('auth_audit.%I', part)) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE auth_audit.%I (LIKE %s INCLUDING DEFAULTS)', part, p_parent);
  EXECUTE format('ALTER TABLE auth_audit.%I ADD CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L)', part, part || '_range', lo, hi);
  EXECUTE format(
    'WITH moved AS (DELETE FROM auth_audit.audit_events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) INSERT INTO auth_audit.%I SELECT * FROM moved',
    lo, hi, part);
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION auth_audit.%I FOR VALUES FROM (%L) TO (%L)', p_parent, part, lo, hi);
  EXECUTE format('ALTER TABLE auth_audit.%I DROP CONSTRAINT %I', part, part || '_range');
  RETURN true;
END
$fn$`;

/**
 * Partition maintenance, the runtime's only way to remove events: creates this month's partition
 * and the next three, drops every partition wholly older than the retention (never less than 30
 * days, whatever is asked), and deletes such rows from the DEFAULT partition (at most 10,000 a
 * call). One instance at a time (a transaction-level advisory lock: nothing outlives the call, so
 * it works through a transaction pooler); the others return at once. Dropping a partition needs
 * an ACCESS EXCLUSIVE lock on auth.audit_events for an instant: lock_timeout bounds the wait
 * (queued inserts would wait behind it) and a partition it could not lock is skipped until the
 * next call.
 */
const MAINTAIN_FUNCTION = `
CREATE OR REPLACE FUNCTION "auth_audit"."maintain"(retention_days integer,
  OUT created integer, OUT dropped integer, OUT deleted integer, OUT skipped integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '100ms' AS $fn$
DECLARE
  cutoff timestamptz := now() - make_interval(days => GREATEST(COALESCE(retention_days, 0), 30));
  this_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  part record;
BEGIN
  created := 0; dropped := 0; deleted := 0; skipped := 0;
  IF NOT pg_try_advisory_xact_lock(hashtext('auth_audit.maintain')) THEN
    RETURN;
  END IF;
  FOR m IN 0..3 LOOP
    BEGIN
      IF auth_audit.create_partition((this_month + make_interval(months => m))::date, 'auth.audit_events') THEN
        created := created + 1;
      END IF;
    EXCEPTION WHEN lock_not_available THEN
      skipped := skipped + 1;
    END;
  END LOOP;
  FOR part IN
    SELECT c.oid::regclass AS rel,
           substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']+)''\\)')::timestamptz AS upper_bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'auth.audit_events'::regclass
  LOOP
    CONTINUE WHEN part.upper_bound IS NULL OR part.upper_bound > cutoff;
    BEGIN
      EXECUTE format('DROP TABLE %s', part.rel);
      dropped := dropped + 1;
    EXCEPTION WHEN lock_not_available THEN
      skipped := skipped + 1;
    END;
  END LOOP;
  DELETE FROM auth_audit.audit_events_default
   WHERE ctid IN (SELECT ctid FROM auth_audit.audit_events_default WHERE occurred_at < cutoff LIMIT 10000);
  GET DIAGNOSTICS deleted = ROW_COUNT;
END
$fn$`;

/** Grants the partitioned table every privilege (table and column) that others hold on the old one. */
const COPY_GRANTS = `
DO $grants$
DECLARE
  g record;
BEGIN
  FOR g IN
    SELECT x.privilege_type AS privilege, NULL::name AS col, x.grantee
      FROM pg_class c, aclexplode(c.relacl) x
     WHERE c.oid = 'auth.audit_events'::regclass AND x.grantee <> c.relowner
    UNION ALL
    SELECT x.privilege_type, a.attname, x.grantee
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid, aclexplode(a.attacl) x
     WHERE c.oid = 'auth.audit_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee <> c.relowner
  LOOP
    EXECUTE format('GRANT %s %s ON auth.audit_events_partitioned TO %s', g.privilege,
      CASE WHEN g.col IS NULL THEN '' ELSE format('(%I)', g.col) END,
      CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
  END LOOP;
END
$grants$`;

/** The conversion's copy of each new row of the old table (dropped at the swap). */
const COPY_NEW_EVENT_FUNCTION = `
CREATE OR REPLACE FUNCTION "auth_audit"."copy_new_event"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  INSERT INTO auth.audit_events_partitioned (id, occurred_at, type, user_id, actor_id, session_id, ip, user_agent, detail)
  VALUES (NEW.id, NEW.occurred_at, NEW.type, NEW.user_id, NEW.actor_id, NEW.session_id, NEW.ip, NEW.user_agent, NEW.detail)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$fn$`;

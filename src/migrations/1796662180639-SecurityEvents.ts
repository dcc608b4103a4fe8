import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Security events and their delivery (issue 29, src/auth/events): the event log
 * (auth.security_events), one lock row per subject that orders its events
 * (auth.security_event_subjects), the webhooks and Shared Signals streams that receive them
 * (auth.event_subscriptions) and one delivery row per event and subscription
 * (auth.event_deliveries). New, empty tables: the only lock on a table that holds rows is the
 * brief SHARE ROW EXCLUSIVE of the foreign key to service_clients (ADD CONSTRAINT on an empty
 * referencing table validates nothing). attempts and last_status stay integer: a try count and an
 * HTTP status never approach 2^31.
 */
export class SecurityEvents1796662180639 implements MigrationInterface {
  name = 'SecurityEvents1796662180639';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "auth"."event_subscriptions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" text NOT NULL, "delivery_method" text NOT NULL DEFAULT 'push', "endpoint_url" text, "event_types" text array NOT NULL, "status" text NOT NULL DEFAULT 'enabled', "status_reason" text, "description" text, "client_id" character varying(64), "secret" bytea, "previous_secret" bytea, "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE, "authorization_header" bytea, "events_requested" text array, "excluded_user_ids" uuid array NOT NULL DEFAULT '{}', "subject_format" text NOT NULL DEFAULT 'iss_sub', "last_verification_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "chk_event_subscriptions_status" CHECK ("status" IN ('enabled', 'paused', 'disabled')), CONSTRAINT "chk_event_subscriptions_delivery_method" CHECK ("delivery_method" IN ('push', 'poll')), CONSTRAINT "chk_event_subscriptions_kind" CHECK ("kind" IN ('webhook', 'ssf')), CONSTRAINT "pk_event_subscriptions" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_event_subscriptions_client_id" ON "auth"."event_subscriptions"  ("client_id") `);
    await queryRunner.query(`CREATE TABLE "auth"."security_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "type" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "user_id" uuid, "subject_key" text NOT NULL, "seq" bigint NOT NULL, "txn" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "pk_security_events" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_security_events_user_id_id" ON "auth"."security_events"  ("user_id", "id") `);
    await queryRunner.query(`CREATE INDEX "idx_security_events_occurred_at" ON "auth"."security_events"  ("occurred_at") `);
    await queryRunner.query(`CREATE TABLE "auth"."security_event_subjects" ("subject_key" text NOT NULL, "last_seq" bigint NOT NULL DEFAULT '0', CONSTRAINT "pk_security_event_subjects" PRIMARY KEY ("subject_key"))`);
    await queryRunner.query(`CREATE TABLE "auth"."event_deliveries" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "event_id" bigint NOT NULL, "subscription_id" uuid NOT NULL, "subject_key" text NOT NULL, "method" text NOT NULL, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" text, "last_status" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_event_deliveries_subscription_id_event_id" UNIQUE ("subscription_id", "event_id"), CONSTRAINT "chk_event_deliveries_method" CHECK ("method" IN ('push', 'poll')), CONSTRAINT "chk_event_deliveries_status" CHECK ("status" IN ('pending', 'delivered', 'dead')), CONSTRAINT "pk_event_deliveries" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_event_deliveries_event_id" ON "auth"."event_deliveries"  ("event_id") `);
    await queryRunner.query(`CREATE INDEX "idx_event_deliveries_subscription_id_status" ON "auth"."event_deliveries"  ("subscription_id", "status") `);
    await queryRunner.query(`CREATE INDEX "idx_event_deliveries_subscription_id_subject_key_event_4d5f910c" ON "auth"."event_deliveries"  ("subscription_id", "subject_key", "event_id") WHERE "status" = 'pending'`);
    await queryRunner.query(`CREATE INDEX "idx_event_deliveries_method_next_attempt_at_5a6fa22e" ON "auth"."event_deliveries"  ("method", "next_attempt_at") WHERE "status" = 'pending'`);
    await queryRunner.query(`ALTER TABLE "auth"."event_subscriptions" ADD CONSTRAINT "fk_event_subscriptions_client_id" FOREIGN KEY ("client_id") REFERENCES "auth"."service_clients"("client_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "auth"."event_deliveries" ADD CONSTRAINT "fk_event_deliveries_event_id" FOREIGN KEY ("event_id") REFERENCES "auth"."security_events"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "auth"."event_deliveries" ADD CONSTRAINT "fk_event_deliveries_subscription_id" FOREIGN KEY ("subscription_id") REFERENCES "auth"."event_subscriptions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "auth"."event_deliveries" DROP CONSTRAINT "fk_event_deliveries_subscription_id"`);
    await queryRunner.query(`ALTER TABLE "auth"."event_deliveries" DROP CONSTRAINT "fk_event_deliveries_event_id"`);
    await queryRunner.query(`ALTER TABLE "auth"."event_subscriptions" DROP CONSTRAINT "fk_event_subscriptions_client_id"`);
    await queryRunner.query(`DROP INDEX "auth"."idx_event_deliveries_method_next_attempt_at_5a6fa22e"`);
    await queryRunner.query(`DROP INDEX "auth"."idx_event_deliveries_subscription_id_subject_key_event_4d5f910c"`);
    await queryRunner.query(`DROP INDEX "auth"."idx_event_deliveries_subscription_id_status"`);
    await queryRunner.query(`DROP INDEX "auth"."idx_event_deliveries_event_id"`);
    await queryRunner.query(`DROP TABLE "auth"."event_deliveries"`);
    await queryRunner.query(`DROP TABLE "auth"."security_event_subjects"`);
    await queryRunner.query(`DROP INDEX "auth"."idx_security_events_occurred_at"`);
    await queryRunner.query(`DROP INDEX "auth"."idx_security_events_user_id_id"`);
    await queryRunner.query(`DROP TABLE "auth"."security_events"`);
    await queryRunner.query(`DROP INDEX "auth"."idx_event_subscriptions_client_id"`);
    await queryRunner.query(`DROP TABLE "auth"."event_subscriptions"`);
  }
}

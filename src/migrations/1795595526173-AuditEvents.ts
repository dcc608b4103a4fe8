import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The security audit log (issue 11): one append-only table, written in the transaction of the change
 * it records. Indexes serve the keyset pages: a user's events (user_id, id) and one type (type, id).
 */
export class AuditEvents1795595526173 implements MigrationInterface {
    name = 'AuditEvents1795595526173'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "auth"."audit_events" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "type" character varying(50) NOT NULL, "user_id" uuid, "actor_id" uuid, "session_id" uuid, "ip" inet, "user_agent" character varying(512), "detail" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "pk_audit_events" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_audit_events_type_id" ON "auth"."audit_events"  ("type", "id") `);
        await queryRunner.query(`CREATE INDEX "idx_audit_events_user_id_id" ON "auth"."audit_events"  ("user_id", "id") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "auth"."idx_audit_events_user_id_id"`);
        await queryRunner.query(`DROP INDEX "auth"."idx_audit_events_type_id"`);
        await queryRunner.query(`DROP TABLE "auth"."audit_events"`);
    }

}

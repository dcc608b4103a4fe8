import { MigrationInterface, QueryRunner } from "typeorm";

export class ServiceClients1795595579799 implements MigrationInterface {
    name = 'ServiceClients1795595579799'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "auth"."service_clients" ("client_id" character varying(64) NOT NULL, "secret_hash" bytea NOT NULL, "previous_secret_hash" bytea, "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE, "scopes" text array NOT NULL, "is_active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_service_clients" PRIMARY KEY ("client_id"))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "auth"."service_clients"`);
    }

}

import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1795574034802 implements MigrationInterface {
    name = 'InitialSchema1795574034802'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TYPE "public"."cat_status" AS ENUM('draft', 'published', 'suspended')`);
        await queryRunner.query(`CREATE TABLE "cats" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "developer_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "description" text, "version" character varying(50) NOT NULL, "endpoint_url" character varying(2048) NOT NULL, "status" "public"."cat_status" NOT NULL DEFAULT 'draft', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_cats" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_cats_developer_id_status" ON "cats"  ("developer_id", "status") `);
        await queryRunner.query(`CREATE INDEX "idx_cats_status" ON "cats"  ("status") `);
        await queryRunner.query(`CREATE TYPE "public"."permission_type" AS ENUM('storage', 'notification', 'external_api')`);
        await queryRunner.query(`CREATE TABLE "permissions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "cat_id" uuid NOT NULL, "permission_type" "public"."permission_type" NOT NULL, "description" text, "required" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_permissions" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_permissions_cat_id_permission_type" ON "permissions"  ("cat_id", "permission_type") `);
        await queryRunner.query(`CREATE TYPE "public"."installation_status" AS ENUM('active', 'paused', 'uninstalled')`);
        await queryRunner.query(`CREATE TABLE "installations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "cat_id" uuid NOT NULL, "instance_name" character varying(100) NOT NULL, "config" jsonb NOT NULL DEFAULT '{}'::jsonb, "status" "public"."installation_status" NOT NULL DEFAULT 'active', "installed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_interaction_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_installations_user_id_cat_id_instance_name" UNIQUE ("user_id", "cat_id", "instance_name"), CONSTRAINT "pk_installations" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_installations_last_interaction_at" ON "installations"  ("last_interaction_at") `);
        await queryRunner.query(`CREATE INDEX "idx_installations_user_id_status" ON "installations"  ("user_id", "status") `);
        await queryRunner.query(`CREATE TABLE "installation_permissions" ("installation_id" uuid NOT NULL, "permission_id" uuid NOT NULL, "granted" boolean NOT NULL DEFAULT false, "granted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_installation_permissions" PRIMARY KEY ("installation_id", "permission_id"))`);
        await queryRunner.query(`CREATE TABLE "proxy_request_logs" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "installation_id" uuid NOT NULL, "cat_id" uuid NOT NULL, "user_id" uuid NOT NULL, "action" character varying(100) NOT NULL, "status_code" smallint NOT NULL, "duration_ms" integer NOT NULL, "error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_proxy_request_logs" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_proxy_request_logs_installation_id_created_at" ON "proxy_request_logs"  ("installation_id", "created_at") `);
        await queryRunner.query(`CREATE TYPE "public"."user_role" AS ENUM('player', 'developer', 'admin')`);
        await queryRunner.query(`CREATE TABLE "users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" character varying(320) NOT NULL, "password_hash" text NOT NULL, "role" "public"."user_role" NOT NULL DEFAULT 'player', "display_name" character varying(100), "is_active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_users_email" UNIQUE ("email"), CONSTRAINT "chk_users_email_normalized" CHECK ("email" = lower(btrim("email"))), CONSTRAINT "pk_users" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_users_role_is_active" ON "users"  ("role", "is_active") `);
        await queryRunner.query(`CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" character varying(50), "user_agent" character varying(512), "ip" inet, CONSTRAINT "pk_sessions" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_sessions_user_id" ON "sessions"  ("user_id") `);
        await queryRunner.query(`CREATE TABLE "refresh_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "session_id" uuid NOT NULL, "token_hash" bytea NOT NULL, "parent_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_refresh_tokens_token_hash" UNIQUE ("token_hash"), CONSTRAINT "pk_refresh_tokens" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "idx_refresh_tokens_session_id" ON "refresh_tokens"  ("session_id") `);
        await queryRunner.query(`ALTER TABLE "cats" ADD CONSTRAINT "fk_cats_developer_id" FOREIGN KEY ("developer_id") REFERENCES "users"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "permissions" ADD CONSTRAINT "fk_permissions_cat_id" FOREIGN KEY ("cat_id") REFERENCES "cats"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "installations" ADD CONSTRAINT "fk_installations_user_id" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "installations" ADD CONSTRAINT "fk_installations_cat_id" FOREIGN KEY ("cat_id") REFERENCES "cats"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "installation_permissions" ADD CONSTRAINT "fk_installation_permissions_installation_id" FOREIGN KEY ("installation_id") REFERENCES "installations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "installation_permissions" ADD CONSTRAINT "fk_installation_permissions_permission_id" FOREIGN KEY ("permission_id") REFERENCES "permissions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "proxy_request_logs" ADD CONSTRAINT "fk_proxy_request_logs_installation_id" FOREIGN KEY ("installation_id") REFERENCES "installations"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "sessions" ADD CONSTRAINT "fk_sessions_user_id" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "refresh_tokens" ADD CONSTRAINT "fk_refresh_tokens_session_id" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "refresh_tokens" ADD CONSTRAINT "fk_refresh_tokens_parent_id" FOREIGN KEY ("parent_id") REFERENCES "refresh_tokens"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP CONSTRAINT "fk_refresh_tokens_parent_id"`);
        await queryRunner.query(`ALTER TABLE "refresh_tokens" DROP CONSTRAINT "fk_refresh_tokens_session_id"`);
        await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions_user_id"`);
        await queryRunner.query(`ALTER TABLE "proxy_request_logs" DROP CONSTRAINT "fk_proxy_request_logs_installation_id"`);
        await queryRunner.query(`ALTER TABLE "installation_permissions" DROP CONSTRAINT "fk_installation_permissions_permission_id"`);
        await queryRunner.query(`ALTER TABLE "installation_permissions" DROP CONSTRAINT "fk_installation_permissions_installation_id"`);
        await queryRunner.query(`ALTER TABLE "installations" DROP CONSTRAINT "fk_installations_cat_id"`);
        await queryRunner.query(`ALTER TABLE "installations" DROP CONSTRAINT "fk_installations_user_id"`);
        await queryRunner.query(`ALTER TABLE "permissions" DROP CONSTRAINT "fk_permissions_cat_id"`);
        await queryRunner.query(`ALTER TABLE "cats" DROP CONSTRAINT "fk_cats_developer_id"`);
        await queryRunner.query(`DROP INDEX "public"."idx_refresh_tokens_session_id"`);
        await queryRunner.query(`DROP TABLE "refresh_tokens"`);
        await queryRunner.query(`DROP INDEX "public"."idx_sessions_user_id"`);
        await queryRunner.query(`DROP TABLE "sessions"`);
        await queryRunner.query(`DROP INDEX "public"."idx_users_role_is_active"`);
        await queryRunner.query(`DROP TABLE "users"`);
        await queryRunner.query(`DROP TYPE "public"."user_role"`);
        await queryRunner.query(`DROP INDEX "public"."idx_proxy_request_logs_installation_id_created_at"`);
        await queryRunner.query(`DROP TABLE "proxy_request_logs"`);
        await queryRunner.query(`DROP TABLE "installation_permissions"`);
        await queryRunner.query(`DROP INDEX "public"."idx_installations_user_id_status"`);
        await queryRunner.query(`DROP INDEX "public"."idx_installations_last_interaction_at"`);
        await queryRunner.query(`DROP TABLE "installations"`);
        await queryRunner.query(`DROP TYPE "public"."installation_status"`);
        await queryRunner.query(`DROP INDEX "public"."idx_permissions_cat_id_permission_type"`);
        await queryRunner.query(`DROP TABLE "permissions"`);
        await queryRunner.query(`DROP TYPE "public"."permission_type"`);
        await queryRunner.query(`DROP INDEX "public"."idx_cats_status"`);
        await queryRunner.query(`DROP INDEX "public"."idx_cats_developer_id_status"`);
        await queryRunner.query(`DROP TABLE "cats"`);
        await queryRunner.query(`DROP TYPE "public"."cat_status"`);
    }

}

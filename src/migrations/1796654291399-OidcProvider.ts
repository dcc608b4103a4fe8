import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The OpenID provider (issue 27): its state (auth.oidc_models, written by oidc-provider through
 * src/auth/oidc/adapter.ts), its clients (auth.oidc_clients, each a cat's or a resource server's)
 * and the players' consents bound to installations (auth.connected_apps). New, empty tables: no
 * lock on anything that holds rows except the brief SHARE ROW EXCLUSIVE of the foreign keys on
 * users, catalog.cats and installation.installations (ADD CONSTRAINT on an empty referencing
 * table validates nothing).
 */
export class OidcProvider1796654291399 implements MigrationInterface {
  name = 'OidcProvider1796654291399';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "auth"."oidc_models" ("model" text NOT NULL, "id" text NOT NULL, "payload" jsonb NOT NULL, "grant_id" text, "uid" text, "user_code" text, "expires_at" TIMESTAMP WITH TIME ZONE, "consumed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_oidc_models" PRIMARY KEY ("model", "id"))`);
    await queryRunner.query(`CREATE INDEX "idx_oidc_models_expires_at" ON "auth"."oidc_models"  ("expires_at") `);
    await queryRunner.query(`CREATE INDEX "idx_oidc_models_user_code" ON "auth"."oidc_models"  ("user_code") `);
    await queryRunner.query(`CREATE INDEX "idx_oidc_models_uid" ON "auth"."oidc_models"  ("uid") `);
    await queryRunner.query(`CREATE INDEX "idx_oidc_models_grant_id" ON "auth"."oidc_models"  ("grant_id") `);
    await queryRunner.query(`CREATE TABLE "auth"."oidc_clients" ("client_id" text NOT NULL, "cat_id" uuid, "created_by" uuid, "metadata" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_oidc_clients" PRIMARY KEY ("client_id"))`);
    await queryRunner.query(`CREATE INDEX "idx_oidc_clients_created_by" ON "auth"."oidc_clients"  ("created_by") `);
    await queryRunner.query(`CREATE INDEX "idx_oidc_clients_cat_id" ON "auth"."oidc_clients"  ("cat_id") `);
    await queryRunner.query(`CREATE TABLE "auth"."connected_apps" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "client_id" text NOT NULL, "installation_id" uuid NOT NULL, "grant_id" text NOT NULL, "scopes" text array NOT NULL, "granted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" text, CONSTRAINT "uq_connected_apps_grant_id" UNIQUE ("grant_id"), CONSTRAINT "uq_connected_apps_user_id_client_id" UNIQUE ("user_id", "client_id"), CONSTRAINT "pk_connected_apps" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "idx_connected_apps_installation_id" ON "auth"."connected_apps"  ("installation_id") `);
    await queryRunner.query(`CREATE INDEX "idx_connected_apps_client_id" ON "auth"."connected_apps"  ("client_id") `);
    await queryRunner.query(`ALTER TABLE "auth"."oidc_clients" ADD CONSTRAINT "fk_oidc_clients_cat_id" FOREIGN KEY ("cat_id") REFERENCES "catalog"."cats"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "auth"."oidc_clients" ADD CONSTRAINT "fk_oidc_clients_created_by" FOREIGN KEY ("created_by") REFERENCES "auth"."users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "auth"."connected_apps" ADD CONSTRAINT "fk_connected_apps_user_id" FOREIGN KEY ("user_id") REFERENCES "auth"."users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "auth"."connected_apps" ADD CONSTRAINT "fk_connected_apps_client_id" FOREIGN KEY ("client_id") REFERENCES "auth"."oidc_clients"("client_id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "auth"."connected_apps" ADD CONSTRAINT "fk_connected_apps_installation_id" FOREIGN KEY ("installation_id") REFERENCES "installation"."installations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "auth"."connected_apps"`);
    await queryRunner.query(`DROP TABLE "auth"."oidc_clients"`);
    await queryRunner.query(`DROP TABLE "auth"."oidc_models"`);
  }
}

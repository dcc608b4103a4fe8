import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contract, once every running version writes the column: make it NOT NULL without a long
 * ACCESS EXCLUSIVE scan. A CHECK added NOT VALID is instant; VALIDATE scans with a weaker lock;
 * SET NOT NULL then uses the validated check instead of scanning (PostgreSQL 12+).
 */
export class ContractKittenDisplayName1700000700003 implements MigrationInterface {
  name = 'ContractKittenDisplayName1700000700003';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "kittens" ADD CONSTRAINT "chk_kittens_display_name" CHECK ("display_name" IS NOT NULL) NOT VALID`);
    await queryRunner.query(`ALTER TABLE "kittens" VALIDATE CONSTRAINT "chk_kittens_display_name"`);
    await queryRunner.query(`ALTER TABLE "kittens" ALTER COLUMN "display_name" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "kittens" DROP CONSTRAINT "chk_kittens_display_name"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "kittens" ALTER COLUMN "display_name" DROP NOT NULL`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Backfill in batches: each batch is its own short transaction, so no row lock is held for long
 * and the work done survives an interruption (the next run continues where it stopped: it only
 * touches rows still NULL). `transaction = false` lets it commit as it goes.
 */
export class BackfillKittenDisplayName1700000700002 implements MigrationInterface {
  name = 'BackfillKittenDisplayName1700000700002';
  transaction = false as const;
  /** Rows per batch: small enough to keep each transaction short on a large table. */
  static readonly BATCH = 1000;

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (;;) {
      await queryRunner.startTransaction();
      // The structured result carries the row count of the UPDATE.
      const { affected } = await queryRunner.query(
        `UPDATE "kittens" SET "display_name" = "name"
          WHERE "id" IN (SELECT "id" FROM "kittens" WHERE "display_name" IS NULL LIMIT ${BackfillKittenDisplayName1700000700002.BATCH} FOR UPDATE SKIP LOCKED)`,
        undefined,
        true,
      );
      await queryRunner.commitTransaction();
      if (!affected) break;
    }
  }

  public async down(): Promise<void> {
    // The values stay; the expand step's down() drops the column.
  }
}

import { removeNoOpRecreations } from '../src/schema-noise';
import { loadSqlParser } from '../src/sql-parser';

const q = (query: string) => ({ query });

describe("TypeORM's unchanged drop-and-re-create pairs (#5117)", () => {
  beforeAll(() => loadSqlParser());

  const up = [
    q(`ALTER TABLE "cats" ALTER COLUMN "status" SET DEFAULT 'draft'`),
    q(`DROP INDEX "public"."idx_cats_status"`),
    q(`CREATE INDEX "idx_cats_status" ON "cats"  ("status") `),
  ];
  const down = [
    q(`DROP INDEX "public"."idx_cats_status"`),
    q(`CREATE INDEX "idx_cats_status" ON "cats" USING btree ("status") `),
    q(`ALTER TABLE "cats" ALTER COLUMN "status" DROP DEFAULT`),
  ];

  it('leaves out an index re-created exactly as it was', () => {
    const result = removeNoOpRecreations(up, down);
    expect(result.removed).toEqual(['idx_cats_status']);
    expect(result.up).toEqual([up[0]]);
    expect(result.down).toEqual([down[2]]);
  });

  it('keeps it when the definition changes', () => {
    const changed = [up[0]!, up[1]!, q(`CREATE INDEX "idx_cats_status" ON "cats"  ("status", "name") `)];
    expect(removeNoOpRecreations(changed, down).up).toEqual(changed);
  });

  it('keeps it when a column type of that table changes (the rebuild is real work then)', () => {
    const typed = [q(`ALTER TABLE "cats" ALTER COLUMN "status" TYPE text`), up[1]!, up[2]!];
    expect(removeNoOpRecreations(typed, down).removed).toEqual([]);
  });

  it('leaves out a foreign key dropped and re-added unchanged', () => {
    const fk = `ALTER TABLE "installations" ADD CONSTRAINT "fk_installations_cat_id" FOREIGN KEY ("cat_id") REFERENCES "cats"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`;
    const drop = `ALTER TABLE "installations" DROP CONSTRAINT "fk_installations_cat_id"`;
    const result = removeNoOpRecreations([q(drop), q(`ALTER TABLE "cats" ALTER COLUMN "id" SET DEFAULT gen_random_uuid()`), q(fk)], [q(drop), q(`ALTER TABLE "cats" ALTER COLUMN "id" DROP DEFAULT`), q(fk)]);
    expect(result.removed).toEqual(['fk_installations_cat_id']);
    expect(result.up.map((x) => x.query)).toEqual([`ALTER TABLE "cats" ALTER COLUMN "id" SET DEFAULT gen_random_uuid()`]);
  });
});

import { Client } from 'pg';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { MigrationDataSource, diffSchema } from '../src';
import { createDatabase, type TestDatabase } from './support/database';
import { TIMEOUTS } from './support/fixtures';

// The entities after the change; the table below is what the database holds before it.
@Entity({ name: 'kittens' })
class Kitten {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  /** varchar(100) → varchar(200): TypeORM drops and re-adds the column for a length change. */
  @Column({ type: 'varchar', length: 200, default: 'nameless' })
  name!: string;

  /** integer → bigint, and NOT NULL dropped in the same change. */
  @Column({ type: 'bigint', nullable: true })
  weight!: string | null;

  /** varchar → an enum (created by the migration). */
  @Column({ type: 'enum', enum: ['indoor', 'outdoor'], enumName: 'kitten_habitat', nullable: true })
  habitat!: string | null;

  /** text → text[] */
  @Column({ type: 'text', array: true, nullable: true })
  toys!: string[] | null;
}

const BEFORE = `
  CREATE TABLE kittens (id integer PRIMARY KEY, name varchar(100) NOT NULL DEFAULT 'nameless', weight integer NOT NULL,
                        habitat varchar(20), toys text);
  INSERT INTO kittens VALUES (1, 'Tom', 4, 'indoor', 'ball'), (2, 'Mia', 5, NULL, NULL)`;

describe('generate changes a column type in place (ALTER COLUMN ... TYPE ... USING), never by drop and re-add', () => {
  let db: TestDatabase;
  let client: Client;
  let ds: MigrationDataSource;

  beforeEach(async () => {
    db = await createDatabase();
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(BEFORE);
    ds = new MigrationDataSource({ type: 'postgres', url: db.url, entities: [Kitten], migrations: [], logging: false }, { migrationsDir: __dirname, timeouts: TIMEOUTS });
    await ds.initialize();
  });
  afterEach(async () => {
    await ds.destroy();
    await client.end();
    await db.drop();
  });

  const rows = async () => (await client.query(`SELECT id, name, weight::text AS weight, habitat::text AS habitat, toys::text AS toys FROM kittens ORDER BY id`)).rows;
  const run = async (statements: readonly { query: string }[]) => {
    await client.query('BEGIN');
    for (const s of statements) await client.query(s.query);
    await client.query('COMMIT');
  };

  it('keeps every value through up and down, and the entities then match', async () => {
    const diff = await diffSchema(ds);
    const up = diff.up.map((q) => q.query);
    expect(up.filter((q) => /DROP COLUMN|ADD "/.test(q))).toEqual([]);
    expect(up).toContain(`ALTER TABLE "kittens" ALTER COLUMN "name" TYPE character varying(200) USING "name"::character varying(200)`);
    expect(up).toContain(`ALTER TABLE "kittens" ALTER COLUMN "weight" TYPE bigint USING "weight"::bigint`);
    expect(up).toContain(`ALTER TABLE "kittens" ALTER COLUMN "weight" DROP NOT NULL`);
    expect(up).toContain(`ALTER TABLE "kittens" ALTER COLUMN "habitat" TYPE "public"."kitten_habitat" USING "habitat"::text::"public"."kitten_habitat"`);

    await run(diff.up);
    expect(await rows()).toEqual([
      { id: 1, name: 'Tom', weight: '4', habitat: 'indoor', toys: '{ball}' },
      { id: 2, name: 'Mia', weight: '5', habitat: null, toys: null },
    ]);
    const types = await client.query(`SELECT column_name, data_type, character_maximum_length AS len, column_default AS dflt FROM information_schema.columns WHERE table_name = 'kittens' ORDER BY ordinal_position`);
    expect(types.rows.find((r) => r.column_name === 'name')).toMatchObject({ data_type: 'character varying', len: 200, dflt: `'nameless'::character varying` });
    expect((await diffSchema(ds)).up).toEqual([]);

    await run(diff.down);
    expect(await rows()).toEqual([
      { id: 1, name: 'Tom', weight: '4', habitat: 'indoor', toys: 'ball' },
      { id: 2, name: 'Mia', weight: '5', habitat: null, toys: null },
    ]);
    const back = await client.query(`SELECT format_type(atttypid, atttypmod) AS type, attnotnull AS notnull FROM pg_attribute WHERE attrelid = 'kittens'::regclass AND attnum > 0 ORDER BY attnum`);
    expect(back.rows.map((r) => `${r.type}${r.notnull ? ' not null' : ''}`)).toEqual(['integer not null', 'character varying(100) not null', 'integer not null', 'character varying(20)', 'text']);
    expect((await client.query(`SELECT to_regtype('kitten_habitat') AS t`)).rows[0].t).toBeNull();
  });

  it('widening a varchar rewrites nothing (the table keeps its file)', async () => {
    const before = (await client.query(`SELECT pg_relation_filenode('kittens') AS f`)).rows[0].f;
    const diff = await diffSchema(ds);
    const widen = diff.up.filter((q) => q.query.includes('"name" TYPE'));
    await run(widen);
    expect((await client.query(`SELECT pg_relation_filenode('kittens') AS f`)).rows[0].f).toBe(before);
  });
});

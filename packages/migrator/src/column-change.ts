import type { DataSource, QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * TypeORM's PostgresQueryRunner.changeColumn drops and re-adds a column whose type, length or
 * array-ness changes ("to avoid data conversion, we just recreate column"): every value of the
 * column is lost, and the migration still looks like a routine change. For the schema diff,
 * changeColumn is wrapped so that such a change is made in place, as Alembic writes it:
 * `ALTER COLUMN ... TYPE ... USING` converts each value (or fails on one that cannot be
 * converted, which rehearsal then shows). What else changed about the column (NOT NULL, default,
 * uniqueness, comment) is left to TypeORM's own code, which handles it in place already.
 */

/** The parts of TypeORM's PostgresQueryRunner this module uses (internal, stable across 0.3 and 1.x). */
interface PostgresRunner extends QueryRunner {
  escapePath(target: Table | string): string;
  buildEnumName(table: Table, column: TableColumn, withSchema?: boolean, disableEscape?: boolean, toOld?: boolean): string;
  createEnumTypeSql(table: Table, column: TableColumn, enumName?: string): Statement;
  dropEnumTypeSql(table: Table, column: TableColumn, enumName?: string): Statement;
  hasEnumType(table: Table, column: TableColumn): Promise<boolean>;
  getCachedTable(name: string): Promise<Table>;
  executeQueries(up: Statement[], down: Statement[]): Promise<void>;
  driver: QueryRunner['connection']['driver'] & { createFullType(column: TableColumn): string };
}

interface Statement {
  readonly query: string;
  readonly parameters?: unknown[];
}

const isEnum = (c: TableColumn) => c.type === 'enum' || c.type === 'simple-enum';

/** The changes TypeORM would make by dropping and re-adding the column (PostgresQueryRunner.changeColumn). */
function recreates(oldColumn: TableColumn, newColumn: TableColumn): boolean {
  return oldColumn.type !== newColumn.type || oldColumn.length !== newColumn.length || oldColumn.isArray !== newColumn.isArray;
}

/** A stored generated column is computed from the others: re-adding it loses nothing, so TypeORM's way stays. */
function generatedChange(oldColumn: TableColumn, newColumn: TableColumn): boolean {
  return newColumn.generatedType === 'STORED' && (!oldColumn.generatedType || oldColumn.asExpression !== newColumn.asExpression);
}

/**
 * Runs `fn` (a schema-builder pass) with every QueryRunner the DataSource creates meanwhile
 * changing column types in place. The override is on this instance only and removed after.
 */
export async function withInPlaceColumnChanges<T>(dataSource: DataSource, fn: () => Promise<T>): Promise<T> {
  const own = Object.prototype.hasOwnProperty.call(dataSource, 'createQueryRunner');
  const previous = dataSource.createQueryRunner;
  dataSource.createQueryRunner = ((...args: Parameters<DataSource['createQueryRunner']>) => {
    const runner = previous.apply(dataSource, args);
    changeColumnsInPlace(runner as PostgresRunner);
    return runner;
  }) as DataSource['createQueryRunner'];
  try {
    return await fn();
  } finally {
    if (own) dataSource.createQueryRunner = previous;
    else delete (dataSource as { createQueryRunner?: unknown }).createQueryRunner;
  }
}

function changeColumnsInPlace(runner: PostgresRunner): void {
  const original = runner.changeColumn.bind(runner);
  runner.changeColumn = async (tableOrName, oldOrName, newColumn) => {
    const table = typeof tableOrName === 'string' ? await runner.getCachedTable(tableOrName) : tableOrName;
    const oldColumn = typeof oldOrName === 'string' ? table.columns.find((c) => c.name === oldOrName) : oldOrName;
    if (!oldColumn || !recreates(oldColumn, newColumn) || generatedChange(oldColumn, newColumn) || oldColumn.name !== newColumn.name) {
      return original(table, oldColumn ?? oldOrName, newColumn);
    }
    const { up, down } = await typeChange(runner, table, oldColumn, newColumn);
    await runner.executeQueries(up, down);
    // TypeORM now sees a column of the new type already: it only adds what else changed.
    const converted = oldColumn.clone();
    Object.assign(converted, {
      type: newColumn.type,
      length: newColumn.length,
      isArray: newColumn.isArray,
      precision: newColumn.precision,
      scale: newColumn.scale,
      enum: newColumn.enum,
      enumName: newColumn.enumName,
      // The default was dropped before the type change (it may not cast): TypeORM sets the new one.
      default: undefined,
    });
    return original(table, converted, newColumn);
  };
}

/**
 * The statements of an in-place type change and of its reversal. TypeORM's down() list runs in
 * reverse, so each down statement sits at the index of the up statement it undoes.
 */
async function typeChange(runner: PostgresRunner, table: Table, oldColumn: TableColumn, newColumn: TableColumn): Promise<{ up: Statement[]; down: Statement[] }> {
  const up: Statement[] = [];
  const down: Statement[] = [];
  const at = `ALTER TABLE ${runner.escapePath(table)} ALTER COLUMN "${newColumn.name}"`;
  const typeOf = (c: TableColumn) => (isEnum(c) ? `${runner.buildEnumName(table, c)}${c.isArray ? '[]' : ''}` : runner.driver.createFullType(c));
  const hasDefault = oldColumn.default !== undefined && oldColumn.default !== null;

  if (isEnum(newColumn) && !(await runner.hasEnumType(table, newColumn))) {
    up.push(runner.createEnumTypeSql(table, newColumn));
    down.push(runner.dropEnumTypeSql(table, newColumn));
  }
  if (hasDefault) {
    up.push({ query: `${at} DROP DEFAULT` });
    down.push({ query: `${at} SET DEFAULT ${String(oldColumn.default)}` });
  }
  up.push({ query: `${at} TYPE ${typeOf(newColumn)} USING ${conversion(`"${newColumn.name}"`, oldColumn, newColumn, typeOf(newColumn))}` });
  down.push({ query: `${at} TYPE ${typeOf(oldColumn)} USING ${conversion(`"${newColumn.name}"`, newColumn, oldColumn, typeOf(oldColumn))}` });
  if (isEnum(oldColumn) && !(await enumUsedElsewhere(runner, table, oldColumn))) {
    up.push(runner.dropEnumTypeSql(table, oldColumn));
    down.push(runner.createEnumTypeSql(table, oldColumn));
  }
  return { up, down };
}

/** The USING expression: each value cast to the new type (through text to or from an enum; wrapped or unwrapped for arrays). */
function conversion(column: string, from: TableColumn, to: TableColumn, toType: string): string {
  let value = column;
  if (from.isArray && !to.isArray) value = `${column}[1]`;
  if (isEnum(from) || isEnum(to)) value = `${value}::text`;
  // A NULL stays NULL, not a one-element array holding NULL.
  if (!from.isArray && to.isArray) return `(CASE WHEN ${column} IS NULL THEN NULL ELSE ARRAY[${value}] END)::${toType}`;
  return `${value}::${toType}`;
}

/** Another column still uses the old enum type: it must stay. */
async function enumUsedElsewhere(runner: PostgresRunner, table: Table, column: TableColumn): Promise<boolean> {
  const name = runner.buildEnumName(table, column);
  const rows: { n: number }[] = await runner.query(
    `SELECT count(*)::int AS n FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relkind IN ('r', 'p') AND NOT a.attisdropped AND a.atttypid IN (to_regtype($1), to_regtype($1 || '[]'))`,
    [name],
  );
  return (rows[0]?.n ?? 0) > 1;
}

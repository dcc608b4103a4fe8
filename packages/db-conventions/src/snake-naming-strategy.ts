import { createHash } from 'node:crypto';
import { DefaultNamingStrategy, type NamingStrategyInterface, type Table } from 'typeorm';

/** PostgreSQL truncates identifiers past 63 bytes; we shorten with a hash instead, so names stay unique. */
const MAX_IDENTIFIER = 63;

export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function fit(name: string): string {
  if (name.length <= MAX_IDENTIFIER) return name;
  const hash = createHash('sha1').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_IDENTIFIER - 9)}_${hash}`;
}

function shortHash(input: string): string {
  return createHash('sha1').update(input).digest('hex').slice(0, 8);
}

/**
 * snake_case tables and columns, and readable constraint names (`pk_users`,
 * `fk_sessions_user_id`, `idx_cats_developer_id_status`) instead of TypeORM's hashes, so that
 * migrations, lint findings and error messages name things a person recognises.
 * Every service that maps the shared database must use this same strategy.
 */
export class SnakeNamingStrategy extends DefaultNamingStrategy implements NamingStrategyInterface {
  override tableName(targetName: string, userSpecifiedName: string | undefined): string {
    return userSpecifiedName ?? snakeCase(targetName);
  }

  override columnName(propertyName: string, customName: string, embeddedPrefixes: string[]): string {
    return snakeCase(embeddedPrefixes.concat(customName || propertyName).join('_'));
  }

  override relationName(propertyName: string): string {
    return snakeCase(propertyName);
  }

  override joinColumnName(relationName: string, referencedColumnName: string): string {
    return snakeCase(`${relationName}_${referencedColumnName}`);
  }

  override joinTableName(firstTableName: string, secondTableName: string): string {
    return snakeCase(`${firstTableName}_${secondTableName}`);
  }

  override joinTableColumnName(tableName: string, propertyName: string, columnName?: string): string {
    return snakeCase(`${tableName}_${columnName ?? propertyName}`);
  }

  override primaryKeyName(tableOrName: Table | string): string {
    return fit(`pk_${this.bareTable(tableOrName)}`);
  }

  override uniqueConstraintName(tableOrName: Table | string, columnNames: string[]): string {
    return fit(`uq_${this.bareTable(tableOrName)}_${columnNames.join('_')}`);
  }

  override relationConstraintName(tableOrName: Table | string, columnNames: string[], where?: string): string {
    const suffix = where ? `_${shortHash(where)}` : '';
    return fit(`rel_${this.bareTable(tableOrName)}_${columnNames.join('_')}${suffix}`);
  }

  override defaultConstraintName(tableOrName: Table | string, columnName: string): string {
    return fit(`df_${this.bareTable(tableOrName)}_${columnName}`);
  }

  override foreignKeyName(tableOrName: Table | string, columnNames: string[]): string {
    return fit(`fk_${this.bareTable(tableOrName)}_${columnNames.join('_')}`);
  }

  override indexName(tableOrName: Table | string, columnNames: string[], where?: string): string {
    const suffix = where ? `_${shortHash(where)}` : '';
    return fit(`idx_${this.bareTable(tableOrName)}_${columnNames.join('_')}${suffix}`);
  }

  override checkConstraintName(tableOrName: Table | string, expression: string, isEnum?: boolean): string {
    return fit(`chk_${this.bareTable(tableOrName)}_${isEnum ? 'enum_' : ''}${shortHash(expression)}`);
  }

  override exclusionConstraintName(tableOrName: Table | string, expression: string): string {
    return fit(`xcl_${this.bareTable(tableOrName)}_${shortHash(expression)}`);
  }

  /** Table names may arrive schema-qualified ("public.users"); constraint names use the bare name. */
  private bareTable(tableOrName: Table | string): string {
    const name = this.getTableName(tableOrName);
    return name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : name;
  }
}

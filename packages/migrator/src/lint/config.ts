import { readFileSync } from 'node:fs';
import { MigratorError } from '../errors';
import { RULES, type RuleId, type Severity } from './rules';
import type { LargeTable } from './size-hint';

export type SeveritySetting = Severity | 'off';

/**
 * The lint configuration: each rule's severity, like squawk's configuration file. Rules not
 * named keep their default (RULES[rule].severity). Written as JSON:
 * `{ "rules": { "prefer-text-field": "off", "ban-drop-not-null": "warning" } }`.
 */
export interface LintConfig {
  readonly rules?: Readonly<Partial<Record<RuleId, SeveritySetting>>>;
  /**
   * Acknowledgements of migrations that can no longer be edited (their checksum is recorded):
   * migration name → rule → reason, the same as a `// migration-lint-ack: rule -- reason` line.
   */
  readonly acknowledge?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * From which size (the database's estimate, read when the lint has a database) a table counts
   * as large for large-table-in-transaction: `{ "rows": 1000000, "bytes": 1073741824 }`.
   */
  readonly largeTable?: Partial<LargeTable>;
}

const SETTINGS: readonly SeveritySetting[] = ['error', 'warning', 'off'];

/** Validates a configuration object; throws naming the file, the entry and what is allowed. */
export function parseLintConfig(value: unknown, where = 'lint configuration'): LintConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MigratorError('invalid_config', `${where}: expected an object like { "rules": { "prefer-text-field": "off" } }`);
  }
  const { rules, acknowledge, largeTable: large, ...rest } = value as { rules?: unknown; acknowledge?: unknown; largeTable?: unknown };
  const unknownKeys = Object.keys(rest).filter((k) => k !== '$comment');
  if (unknownKeys.length) throw new MigratorError('invalid_config', `${where}: unknown key(s) ${unknownKeys.join(', ')}; "rules", "acknowledge" and "largeTable" are read`);
  const acks = parseAcknowledgements(acknowledge, where);
  const largeTable = parseLargeTable(large, where);
  if (rules === undefined) return { acknowledge: acks, largeTable };
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
    throw new MigratorError('invalid_config', `${where}: "rules" must map rule names to "error", "warning" or "off"`);
  }
  for (const [rule, setting] of Object.entries(rules)) {
    if (!(rule in RULES)) {
      throw new MigratorError('invalid_config', `${where}: unknown rule "${rule}"; known rules: ${Object.keys(RULES).join(', ')}`);
    }
    if (!SETTINGS.includes(setting as SeveritySetting)) {
      throw new MigratorError('invalid_config', `${where}: rule "${rule}" is set to ${JSON.stringify(setting)}; use "error", "warning" or "off"`);
    }
  }
  return { rules: rules as LintConfig['rules'], acknowledge: acks, largeTable };
}

function parseLargeTable(value: unknown, where: string): LintConfig['largeTable'] {
  if (value === undefined) return undefined;
  const shape = `"largeTable" is { "rows": N, "bytes": N } (positive integers; either may be left out)`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MigratorError('invalid_config', `${where}: ${shape}`);
  for (const [key, n] of Object.entries(value)) {
    if ((key !== 'rows' && key !== 'bytes') || !Number.isSafeInteger(n) || (n as number) <= 0) throw new MigratorError('invalid_config', `${where}: ${shape}; got ${key}: ${JSON.stringify(n)}`);
  }
  return value as LintConfig['largeTable'];
}

function parseAcknowledgements(value: unknown, where: string): LintConfig['acknowledge'] {
  if (value === undefined) return undefined;
  const shape = `"acknowledge" maps a migration name to { "rule": "reason" }`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MigratorError('invalid_config', `${where}: ${shape}`);
  for (const [migration, acks] of Object.entries(value)) {
    if (typeof acks !== 'object' || acks === null || Array.isArray(acks)) throw new MigratorError('invalid_config', `${where}: ${shape} (see ${migration})`);
    for (const [key, reason] of Object.entries(acks)) {
      // "rule" (the whole migration) or "rule object" (only that object's findings).
      const [rule, , ...more] = key.trim().split(/\s+/);
      if (!(rule! in RULES) || more.length) {
        throw new MigratorError('invalid_config', `${where}: acknowledge.${migration}: "${key}" is not "rule" or "rule object" with a known rule (e.g. "ban-drop-column auth.users.legacy")`);
      }
      if (typeof reason !== 'string' || !reason.trim()) {
        throw new MigratorError('invalid_config', `${where}: acknowledge.${migration}.${key} needs a reason a reviewer can read`);
      }
    }
  }
  return value as LintConfig['acknowledge'];
}

/** Reads a JSON lint configuration file. */
export function readLintConfig(file: string): LintConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MigratorError('invalid_config', `${file} cannot be read: ${(err as Error).message}`, {}, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MigratorError('invalid_config', `${file} is not valid JSON: ${(err as Error).message}`, {}, { cause: err });
  }
  return parseLintConfig(value, file);
}

export function severityOf(rule: RuleId, config: LintConfig | undefined): SeveritySetting {
  return config?.rules?.[rule] ?? RULES[rule].severity;
}

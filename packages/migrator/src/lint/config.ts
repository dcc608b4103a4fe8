import { readFileSync } from 'node:fs';
import { MigratorError } from '../errors';
import { RULES, type RuleId, type Severity } from './rules';

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
}

const SETTINGS: readonly SeveritySetting[] = ['error', 'warning', 'off'];

/** Validates a configuration object; throws naming the file, the entry and what is allowed. */
export function parseLintConfig(value: unknown, where = 'lint configuration'): LintConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MigratorError('invalid_config', `${where}: expected an object like { "rules": { "prefer-text-field": "off" } }`);
  }
  const { rules, acknowledge, ...rest } = value as { rules?: unknown; acknowledge?: unknown };
  const unknownKeys = Object.keys(rest).filter((k) => k !== '$comment');
  if (unknownKeys.length) throw new MigratorError('invalid_config', `${where}: unknown key(s) ${unknownKeys.join(', ')}; "rules" and "acknowledge" are read`);
  const acks = parseAcknowledgements(acknowledge, where);
  if (rules === undefined) return { acknowledge: acks };
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
  return { rules: rules as LintConfig['rules'], acknowledge: acks };
}

function parseAcknowledgements(value: unknown, where: string): LintConfig['acknowledge'] {
  if (value === undefined) return undefined;
  const shape = `"acknowledge" maps a migration name to { "rule": "reason" }`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MigratorError('invalid_config', `${where}: ${shape}`);
  for (const [migration, acks] of Object.entries(value)) {
    if (typeof acks !== 'object' || acks === null || Array.isArray(acks)) throw new MigratorError('invalid_config', `${where}: ${shape} (see ${migration})`);
    for (const [rule, reason] of Object.entries(acks)) {
      if (!(rule in RULES)) throw new MigratorError('invalid_config', `${where}: acknowledge.${migration}: unknown rule "${rule}"`);
      if (typeof reason !== 'string' || !reason.trim()) {
        throw new MigratorError('invalid_config', `${where}: acknowledge.${migration}.${rule} needs a reason a reviewer can read`);
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

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
}

const SETTINGS: readonly SeveritySetting[] = ['error', 'warning', 'off'];

/** Validates a configuration object; throws naming the file, the entry and what is allowed. */
export function parseLintConfig(value: unknown, where = 'lint configuration'): LintConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MigratorError('invalid_config', `${where}: expected an object like { "rules": { "prefer-text-field": "off" } }`);
  }
  const { rules, ...rest } = value as { rules?: unknown };
  const unknownKeys = Object.keys(rest).filter((k) => k !== '$comment');
  if (unknownKeys.length) throw new MigratorError('invalid_config', `${where}: unknown key(s) ${unknownKeys.join(', ')}; only "rules" is read`);
  if (rules === undefined) return {};
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
  return { rules: rules as LintConfig['rules'] };
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

import { inspect } from 'node:util';

/**
 * Every way the migrator can fail, with a stable code callers branch on (never on a message).
 * `usage` problems (the caller asked for something impossible or the configuration is wrong)
 * are distinguished from `problem` ones (the tool looked and found something wrong), which the
 * CLI maps once to exit codes 2 and 1.
 */
export const MIGRATOR_ERRORS = {
  usage: 'usage',
  invalid_config: 'usage',
  pooled_endpoint: 'usage',
  database_unreachable: 'usage',
  neon_failed: 'usage',
  unknown_target: 'usage',
  ambiguous_target: 'usage',
  invalid_migration_file: 'usage',
  import_failed: 'usage',
  lock_timeout: 'problem',
  already_applied: 'problem',
  checksum_mismatch: 'problem',
  out_of_order: 'problem',
  missing_migration_file: 'problem',
  migration_failed: 'problem',
  preview_unavailable: 'problem',
  nothing_to_generate: 'problem',
  not_up_to_date: 'problem',
  lint_failed: 'problem',
  drift: 'problem',
  rehearsal_failed: 'problem',
  privileges_failed: 'problem',
  privileges_incomplete: 'problem',
} as const;

export type MigratorErrorCode = keyof typeof MIGRATOR_ERRORS;

export class MigratorError extends Error {
  constructor(
    readonly code: MigratorErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigratorError';
  }

  get kind(): 'usage' | 'problem' {
    return MIGRATOR_ERRORS[this.code];
  }

  /**
   * What console.error and util.inspect show (the TypeORM CLI prints errors that way): the one
   * line that names the way out, not a stack trace. The stack stays in `.stack`.
   */
  [inspect.custom](): string {
    return this.message;
  }

  /** Results carry errors; `--json` must show their message, which Error keeps non-enumerable. */
  toJSON(): { code: MigratorErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isMigratorError(err: unknown): err is MigratorError {
  return err instanceof MigratorError;
}

/**
 * A connection failure where no server answered (no route, refused, timed out; pooler.ts sets
 * details.serverAnswered): history, heads, show and a --sql range go on from the files alone. A
 * server that answered and refused (password, TLS, unknown database) is a setting to fix: exit 2.
 */
export function nothingAnswered(err: unknown): err is MigratorError {
  return err instanceof MigratorError && err.code === 'database_unreachable' && err.details.serverAnswered === false;
}

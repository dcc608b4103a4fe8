import type { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import type { MigrationConfig, WebhookAdminConfig } from '../../config/config';


/** What `npm run admin` commands share: exit codes, the usage error, and the shape of a command group. */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** What a group's command receives: its own arguments, the parsed options, and a way to the database. */
export interface CommandContext {
  args: string[];
  options: Record<string, string | boolean | undefined>;
  config: MigrationConfig;
  /**
   * What webhooks create/rotate need beyond the migration job's variables (a secret is sealed
   * with TOKEN_SECRET), and only that; throws ConfigError.
   */
  webhookConfig(): WebhookAdminConfig;
  db(): Promise<DataSource>;
  /** Prints `value` as JSON with --json, else `text`. */
  print(value: unknown, text: string): void;
}

/** A group of subcommands (`clients`, ...). Other groups join by adding a file and a line below. */
export interface CommandGroup {
  name: string;
  usage: string;
  /** Options the group's commands take, for node:util parseArgs. */
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  /** Runs one command; returns an exit code, throws UsageError or AppError. */
  run(command: string | undefined, ctx: CommandContext): Promise<number>;
}

export class UsageError extends Error {}


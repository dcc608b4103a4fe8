import type { DataSource } from 'typeorm';
import { MigratorError } from '../errors';
import type { Queryable, HistoryLocation } from '../history';
import type { LintConfig } from '../lint/config';
import type { MigrationSource } from '../migration-files';
import type { Migrator } from '../migrator';
import type { MigratorEvent } from '../migrator-options';
import type { PrivilegeSettings } from '../privileges/policy';
import type { NeonTarget } from '../rehearsal/neon-rehearsal';
import type { EntityGroups } from '../schema-diff';

/**
 * The generic CLI's vocabulary: what a command is, what it receives, and what a host (the
 * `migrator` bin over a DataSource file, or an application's own shell such as Cat House's
 * `npm run migrate`) provides. A command is one file in commands/ and one line in
 * commands/index.ts; it never reads the environment or exits.
 */
export const EXIT = { ok: 0, problem: 1, usage: 2 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** An option as node:util parseArgs takes it, plus its line in the usage. */
export interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  readonly multiple?: boolean;
  /** One line for the usage (omit to leave it out of the list). */
  readonly help?: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** Read-only access for status and history: a plain connection, so they can start without TypeORM. */
export interface ReadSession {
  readonly db: Queryable;
  readonly history: HistoryLocation;
  /** The privilege policy `status` compares with the database, if the host has one. */
  readonly privileges?: PrivilegeSettings;
  close(): Promise<void>;
}

/** A DataSource and its Migrator, for the commands that write or need TypeORM. */
export interface OpenedSource {
  readonly dataSource: DataSource;
  readonly migrator: Migrator;
}

export interface OpenOptions {
  /** generate, check and rehearse compare with the entities: they need them mapped. */
  readonly entities: boolean;
  readonly onEvent: (event: MigratorEvent) => void;
  /** Another database than the configured one (rehearse --on URL). */
  readonly url?: string;
}

/** What the host knows for one invocation: where the migrations are and how to reach the database. */
export interface HostSession {
  /** Where the migrations are: a folder, TypeORM's `migrations` option (globs and classes), a provider. */
  readonly migrations: MigrationSource;
  /** The folder new migrations are written to (create, generate). */
  readonly migrationsDir: string;
  /** Each lint rule's severity, if the host configures them. */
  readonly lintConfig?: LintConfig;
  /** Where the history is, for SQL written without a database (a --sql range offline, stamp --sql). */
  readonly history?: HistoryLocation;
  /**
   * The Neon project and the migration database's name, role and host, for `rehearse --neon`,
   * read without connecting; throws a usage error naming what is not configured.
   */
  neon?(): NeonTarget;
  openRead(): Promise<ReadSession>;
  /** Opens (and remembers, for close) a DataSource with its Migrator. */
  open(options: OpenOptions): Promise<OpenedSource>;
  /** The entities by group (service), for descriptions of what was compared. */
  entityGroups?(): EntityGroups | undefined;
  /** Closes everything open() opened. */
  close(): Promise<void>;
}

/** What an application adds to the generic CLI: its name, its options, its wiring and its words. */
export interface CliHost {
  /** How users start the tool, as messages show it: `migrator`, `npm run migrate --`. */
  readonly invocation: string;
  /** Options of the host (e.g. --data-source, --dir), parsed with every command's. */
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Lines after the command list (defaults, where the URL comes from). */
  readonly usageNotes?: readonly string[];
  /** Where the privilege policy is written, for status lines (e.g. `src/db/privileges.ts`). */
  readonly policyName?: string;
  /** Builds the session from the parsed options; its errors are reported like any other. */
  session(values: OptionValues): Promise<HostSession> | HostSession;
  /** A host's own errors (e.g. its configuration's) as a one-line usage error; undefined when not its own. */
  usageError?(err: unknown): { code: string; message: string } | undefined;
  /** Rewrites a message in the host's words (e.g. `migrator up` -> `npm run migrate -- up`). */
  words?(text: string): string;
}

/** What one command receives. */
export interface CommandContext {
  readonly command: string;
  readonly args: readonly string[];
  readonly values: OptionValues;
  /** `-N` (down's step count), taken out before parsing. */
  readonly steps: number | undefined;
  readonly host: CliHost;
  readonly io: Io;
  readonly json: boolean;
  /** The host's session, built on first use (create and lint FILE... may never need the database). */
  session(): Promise<HostSession>;
  progress(event: MigratorEvent): void;
  /** Prints `value` as JSON with --json, else `text`. */
  print(value: unknown, text: string): void;
  /** Refuses more than `max` arguments, naming what the command takes. */
  expectArgs(max: number, what: string): void;
}

export interface CliCommand {
  readonly name: string;
  /** Other words for it (Alembic's `upgrade` for `up`). */
  readonly aliases?: readonly string[];
  /** Its lines in the usage, each `words    what it does`. */
  readonly usage: readonly string[];
  /** Options only this command takes; another command given one is refused naming the commands that take it. */
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Takes `-N` (down). */
  readonly takesSteps?: boolean;
  run(ctx: CommandContext): Promise<number> | number;
}

export class UsageError extends MigratorError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** A string option's value, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

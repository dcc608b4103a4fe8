/**
 * The generic CLI, for an application that wraps it in its own shell (its roles, paths, words):
 * `runCli(argv, host, io)` with the application's CliHost. The `migrator` bin is the same CLI
 * with the host of a TypeORM DataSource file (dataSourceHost).
 */
export { runCli } from './run-cli';
export { COMMANDS } from './commands';
export { dataSourceHost } from './data-source-host';
export { loadDataSourceFile } from './data-source-file';
export { exitWith, dropQueuedQueryWarning, stdio } from './process';
export { usageText } from './usage';
export {
  EXIT,
  UsageError,
  flag,
  stringOption,
  type CliCommand,
  type CliHost,
  type CommandContext,
  type HostSession,
  type Io,
  type OpenOptions,
  type OpenedSource,
  type OptionSpec,
  type OptionValues,
  type ReadSession,
} from './command';

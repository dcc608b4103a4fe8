#!/usr/bin/env node
/**
 * The `migrator` bin: the generic CLI over the user's TypeORM DataSource file
 * (`migrator status --data-source ./dist/data-source.js`). Compiled to JavaScript: no TypeScript
 * loader is needed to run it.
 */
import { dataSourceHost } from './data-source-host';
import { dropQueuedQueryWarning, exitWith, stdio } from './process';
import { runCli } from './run-cli';

dropQueuedQueryWarning();
runCli(process.argv.slice(2), dataSourceHost(), stdio).then(exitWith, (err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  exitWith(2);
});

import type { CliCommand } from '../command';
import { checkCommand } from './check';
import { createCommand } from './create';
import { downCommand } from './down';
import { generateCommand } from './generate';
import { historyCommand } from './history';
import { lintCommand } from './lint';
import { rebaseCommand } from './rebase';
import { rehearseCommand } from './rehearse';
import { stampCommand } from './stamp';
import { statusCommand } from './status';
import { upCommand } from './up';

/**
 * Every command of the CLI, in the order the usage lists them. A new command is a file in this
 * folder and one line here; a command's own options are declared in its file.
 */
export const COMMANDS: readonly CliCommand[] = [
  statusCommand,
  historyCommand,
  upCommand,
  downCommand,
  stampCommand,
  rebaseCommand,
  generateCommand,
  createCommand,
  lintCommand,
  checkCommand,
  rehearseCommand,
];

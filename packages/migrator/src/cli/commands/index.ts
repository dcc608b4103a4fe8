import type { CliCommand } from '../command';
import { branchesCommand } from './branches';
import { checkCommand } from './check';
import { createCommand } from './create';
import { currentCommand } from './current';
import { downCommand } from './down';
import { generateCommand } from './generate';
import { headsCommand } from './heads';
import { historyCommand } from './history';
import { lintCommand } from './lint';
import { mergeCommand } from './merge';
import { rebaseCommand } from './rebase';
import { rehearseCommand } from './rehearse';
import { revisionCommand } from './revision';
import { showCommand } from './show';
import { stampCommand } from './stamp';
import { statusCommand } from './status';
import { upCommand } from './up';

/**
 * Every command of the CLI, in the order the usage lists them. A new command is a file in this
 * folder and one line here; a command's own options are declared in its file.
 */
export const COMMANDS: readonly CliCommand[] = [
  statusCommand,
  currentCommand,
  historyCommand,
  headsCommand,
  showCommand,
  branchesCommand,
  upCommand,
  downCommand,
  stampCommand,
  mergeCommand,
  rebaseCommand,
  generateCommand,
  revisionCommand,
  createCommand,
  lintCommand,
  checkCommand,
  rehearseCommand,
];

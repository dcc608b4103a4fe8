import { usage } from './errors';

/** `cathouse <command> [sub] [--flag value | --flag=value | --switch] [positional]`: all this CLI needs. */
export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
  /** Options given without a value: reported after unknown options (assertValuesGiven), so `--typo` is named as unknown. */
  missingValues: string[];
}

const SWITCHES = new Set(['json', 'all', 'help']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const missingValues: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (SWITCHES.has(name)) value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        missingValues.push(name);
        value = '';
      } else {
        value = next;
        i++;
      }
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positionals, flags, missingValues };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.at(-1);
}

/** Every value of a repeatable flag, comma-separated values split. */
export function flagList(args: ParsedArgs, name: string): string[] {
  return (args.flags.get(name) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

export function assertKnownFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const name of args.flags.keys()) {
    if (!known.includes(name)) throw usage(`unknown option --${name} (this command takes ${known.map((k) => `--${k}`).join(', ') || 'no options'})`);
  }
}

export function assertValuesGiven(args: ParsedArgs): void {
  const name = args.missingValues[0];
  if (name !== undefined) throw usage(`--${name} needs a value (e.g. --${name}=...)`);
}

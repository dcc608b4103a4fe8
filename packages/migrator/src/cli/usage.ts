import type { CliCommand, CliHost, OptionSpec } from './command';

/** The usage text: every command's lines, then the options and the host's notes. */
export function usageText(host: CliHost, commands: readonly CliCommand[]): string {
  const aliases = commands.filter((c) => c.aliases?.length).map((c) => `${c.aliases!.join(', ')} = ${c.name}`);
  const options: string[] = ['--json   machine-readable output'];
  const seen = new Set<string>();
  const optionLines = (specs: Readonly<Record<string, OptionSpec>> | undefined) => {
    for (const [name, spec] of Object.entries(specs ?? {})) {
      if (spec.help && !seen.has(name)) options.push(spec.help);
      seen.add(name);
    }
  };
  optionLines(host.options);
  for (const c of commands) optionLines(c.options);
  return [
    `usage: ${host.invocation} <command> [options]`,
    '',
    ...commands.flatMap((c) => c.usage.map((line) => `  ${line}`)),
    ...(aliases.length ? [`  Alembic's words: ${aliases.join('; ')}`] : []),
    '',
    '  TARGET: a migration name, or a unique prefix of its name or timestamp',
    ...options.map((o) => `  ${o}`),
    ...(host.usageNotes ?? []).map((n) => `  ${n}`),
    '  exit codes: 0 ok, 1 problem found, 2 usage, configuration or connection error',
  ].join('\n');
}

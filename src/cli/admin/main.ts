/**
 * `npm run admin -- <group> <command> [options]`: operator commands against the service's
 * database. A thin shell like `npm run migrate`: each group (one file here: clients.ts, ...)
 * parses its arguments, calls domain functions from src/auth, and prints text or --json.
 * Exit codes: 0 ok, 1 the operation was refused (unknown client, name taken...), 2 usage or
 * configuration error.
 */
import { parseArgs } from 'node:util';
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { ConfigError, loadMigrationConfig, parseWebhookAdminConfig } from '../../config/config';
import { createRuntimeDataSource } from '../../db/runtime-data-source';
import { startEmbeddedForMigrations } from '../../db/migration-connection';
import { isAppError } from '../../errors/app-error';
import { clientsGroup } from './clients';
import { oidcGroup } from './oidc';
import { demoteGroup, promoteGroup } from './roles';
import { webhooksGroup } from './webhooks';
import { EXIT, UsageError, type CommandContext, type CommandGroup, type Io } from './command';

const GROUPS: CommandGroup[] = [clientsGroup, promoteGroup, demoteGroup, oidcGroup, webhooksGroup];

const USAGE = `usage: npm run admin -- <group> <command> [options]

${GROUPS.map((g) => g.usage).join('\n\n')}

  --json   machine-readable output
  exit codes: 0 ok, 1 refused (e.g. unknown client), 2 usage or configuration error`;

const stdio: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Runs one admin invocation and returns its exit code. */
export async function main(argv: string[], io: Io = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [groupName, ...rest] = argv;
  const group = GROUPS.find((g) => g.name === groupName);
  if (!group) {
    if (groupName === undefined || groupName === '--help' || groupName === '-h') {
      io.out(USAGE);
      return groupName === undefined ? EXIT.usage : EXIT.ok;
    }
    io.err(`unknown group "${groupName}" (npm run admin -- --help)`);
    return EXIT.usage;
  }
  let json = false;
  let dataSource: DataSource | undefined;
  let stopEmbedded: (() => Promise<void>) | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { ...group.options, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
    json = values.json === true;
    if (values.help) {
      io.out(group.usage);
      return EXIT.ok;
    }
    const [command, ...args] = positionals;
    const config = loadMigrationConfig(env);
    const ctx: CommandContext = {
      args,
      options: values as CommandContext['options'],
      config,
      webhookConfig: () => parseWebhookAdminConfig(env),
      async db() {
        if (dataSource) return dataSource;
        // The migration job's connection; DATABASE_URL where only that is set (a development set-up).
        let url = config.db.migrationUrl ?? config.db.url;
        if (!url) {
          // The development default, as `npm start` uses it (started if it is not running).
          const embedded = await startEmbeddedForMigrations(config);
          stopEmbedded = () => embedded.stop();
          url = embedded.url;
        }
        dataSource = createRuntimeDataSource(url, config.db);
        await dataSource.initialize();
        return dataSource;
      },
      print: (value, text) => io.out(json ? JSON.stringify(value, null, 2) : text),
    };
    return await group.run(command, ctx);
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = isAppError(err) ? err.detail : (err as Error).message;
    if (json) io.out(JSON.stringify({ error: isAppError(err) ? err.code : usage ? 'usage' : 'failed', message }));
    io.err(usage && !(err instanceof ConfigError) ? `${message} (npm run admin -- ${group.name} --help)` : message);
    return usage ? EXIT.usage : EXIT.problem;
  } finally {
    await dataSource?.destroy();
    await stopEmbedded?.();
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

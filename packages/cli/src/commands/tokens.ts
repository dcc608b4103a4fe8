import { apiUrl, requestJson } from '../api';
import { flag, flagList, type ParsedArgs } from '../args';
import { CliError, usage } from '../errors';
import { activeSession } from '../session';
import type { Io } from '../io';

interface Pat {
  id: string;
  name: string;
  token_prefix: string;
  scopes: string[];
  status: string;
  expires_at: string;
  last_used_at: string | null;
  last_used_ip: string | null;
  token?: string;
}

/** `30d`, `12h`, `90m` or `2027-01-31T00:00:00Z` as an ISO date-time. */
export function expiryFrom(expiresIn: string | undefined, expiresAt: string | undefined, now = Date.now()): string {
  if (expiresAt !== undefined) {
    const at = new Date(expiresAt);
    if (Number.isNaN(at.getTime())) throw usage(`--expires-at ${expiresAt} is not a date: give e.g. 2027-01-31T00:00:00Z`);
    return at.toISOString();
  }
  const match = /^(\d+)([dhm])$/.exec(expiresIn ?? '');
  if (!match) throw usage('a token needs an expiry: --expires-in 30d (days, h hours, m minutes) or --expires-at 2027-01-31T00:00:00Z');
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  return new Date(now + Number(match[1]) * unit).toISOString();
}

/** cathouse tokens create|list|revoke: the caller's personal access tokens, through the stored session. */
export async function tokens(args: ParsedArgs, io: Io): Promise<number> {
  const [, sub, id] = args.positionals;
  const json = flag(args, 'json') === 'true';
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') throw usage('cathouse tokens create|list|revoke: say which');
  const session = await activeSession(io.env);
  const call = <T>(path: string, init: { method?: string; body?: unknown } = {}) => requestJson<T>(apiUrl(session.server, path), { ...init, token: session.access_token });

  if (sub === 'create') {
    const name = flag(args, 'name');
    const scopes = flagList(args, 'scope');
    if (!name) throw usage('cathouse tokens create needs --name (e.g. --name "CI publish")');
    if (scopes.length === 0) throw usage('cathouse tokens create needs --scope (e.g. --scope cats:publish; repeat or comma-separate for more)');
    let created: Pat;
    try {
      created = await call<Pat>('/me/tokens', { body: { name, scopes, expires_at: expiryFrom(flag(args, 'expires-in'), flag(args, 'expires-at')) } });
    } catch (err) {
      if (err instanceof CliError && err.code === 'reauthentication_required') {
        throw new CliError('creating a token needs a recent sign-in: run cathouse login, then try again', 1, err.code);
      }
      throw err;
    }
    if (json) io.stdout.write(`${JSON.stringify(created)}\n`);
    else {
      io.stderr.write(`Created "${created.name}" (${created.scopes.join(' ')}), expires ${created.expires_at}. It is shown once: store it now (e.g. as the CI secret CATHOUSE_TOKEN).\n`);
      io.stdout.write(`${created.token}\n`);
    }
    return 0;
  }
  if (sub === 'list') {
    const { tokens: list } = await call<{ tokens: Pat[] }>('/me/tokens');
    if (json) {
      io.stdout.write(`${JSON.stringify(list)}\n`);
      return 0;
    }
    if (list.length === 0) io.stdout.write('No personal access tokens.\n');
    for (const t of list) {
      const used = t.last_used_at ? `last used ${t.last_used_at} from ${t.last_used_ip ?? '?'}` : 'never used';
      io.stdout.write(`${t.id}  ${t.token_prefix}…  ${t.name}  [${t.scopes.join(' ')}]  ${t.status}, expires ${t.expires_at}, ${used}\n`);
    }
    return 0;
  }
  if (flag(args, 'all') === 'true') {
    const { revoked } = await call<{ revoked: number }>('/me/tokens', { method: 'DELETE' });
    io.stdout.write(`Revoked ${revoked} token(s).\n`);
    return 0;
  }
  if (!id) throw usage('cathouse tokens revoke needs a token id (see cathouse tokens list) or --all');
  await call(`/me/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
  io.stdout.write(`Revoked ${id}.\n`);
  return 0;
}

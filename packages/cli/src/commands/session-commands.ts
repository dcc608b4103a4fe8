import { apiUrl, claimsOf, requestJson, serverUrl } from '../api';
import { flag, type ParsedArgs } from '../args';
import { deleteSession, loadSession, saveSession } from '../credentials';
import { deviceLogin } from '../device-login';
import { CliError } from '../errors';
import { activeSession } from '../session';
import type { Io } from '../io';

interface Me {
  id: string;
  email: string;
  role: string;
  display_name: string | null;
}

/** cathouse login: the device flow; the session is stored (0600) for the other commands. */
export async function login(args: ParsedArgs, io: Io): Promise<number> {
  const stored = await loadSession(io.env);
  const server = serverUrl(flag(args, 'server'), io.env, stored?.server);
  const tokens = await deviceLogin(server, (codes) => {
    io.stderr.write(`To sign in, open ${codes.verificationUriComplete ?? codes.verificationUri}\n`);
    io.stderr.write(`and check that it shows the code ${codes.userCode} (it expires in ${Math.round(codes.expiresIn / 60)} minutes).\n`);
    io.stderr.write('Waiting for you to allow this device...\n');
  });
  const me = await requestJson<Me>(apiUrl(server, '/me'), { token: tokens.accessToken });
  await saveSession(io.env, {
    server,
    refresh_token: tokens.refreshToken,
    access_token: tokens.accessToken,
    access_token_expires_at: Math.floor(Date.now() / 1000) + tokens.expiresIn,
    email: me.email,
  });
  io.stdout.write(`Logged in to ${server} as ${me.email} (${me.role}).\n`);
  return 0;
}

/**
 * cathouse whoami: the stored session's user (GET /me); with CATHOUSE_TOKEN (a personal access
 * token, e.g. in CI), the user and scopes of the access token it is exchanged for.
 */
export async function whoami(args: ParsedArgs, io: Io): Promise<number> {
  const json = flag(args, 'json') === 'true';
  const pat = io.env.CATHOUSE_TOKEN;
  if (pat) {
    const server = serverUrl(flag(args, 'server'), io.env);
    const exchanged = await exchangePat(server, pat);
    const claims = claimsOf(exchanged.access_token);
    const out = { server, user_id: claims.sub, role: claims.role, scope: exchanged.scope, via: 'personal access token', token_prefix: pat.slice(0, 8) };
    io.stdout.write(json ? `${JSON.stringify(out)}\n` : `${out.user_id} (${out.role}) on ${server}, personal access token ${out.token_prefix}… with scopes ${out.scope}\n`);
    return 0;
  }
  const session = await activeSession(io.env);
  const me = await requestJson<Me>(apiUrl(session.server, '/me'), { token: session.access_token });
  const claims = claimsOf(session.access_token);
  const out = { server: session.server, user_id: me.id, email: me.email, role: me.role, session_id: claims.sid };
  io.stdout.write(json ? `${JSON.stringify(out)}\n` : `${me.email} (${me.role}) on ${session.server}\n`);
  return 0;
}

/** cathouse logout: ends the session on the server (it leaves GET me/sessions) and forgets it here. */
export async function logout(_args: ParsedArgs, io: Io): Promise<number> {
  const session = await loadSession(io.env);
  if (!session) {
    io.stdout.write('Not logged in.\n');
    return 0;
  }
  try {
    await requestJson(apiUrl(session.server, '/logout'), { body: { refresh_token: session.refresh_token } });
  } catch (err) {
    // A session the server has already ended is still forgotten here; an unreachable server is not.
    if (!(err instanceof CliError && err.code)) throw err;
  }
  await deleteSession(io.env);
  io.stdout.write(`Logged out of ${session.server}.\n`);
  return 0;
}

interface Exchanged {
  access_token: string;
  expires_in: number;
  scope: string;
}

export function exchangePat(server: string, pat: string, scope?: string): Promise<Exchanged> {
  return requestJson<Exchanged>(apiUrl(server, '/token'), {
    form: {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: pat,
      subject_token_type: 'urn:cathouse:params:oauth:token-type:personal_access_token',
      ...(scope ? { scope } : {}),
    },
  });
}

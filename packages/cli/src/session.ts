import { apiUrl, requestJson } from './api';
import { loadSession, saveSession, type StoredSession } from './credentials';
import { CliError } from './errors';

interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
}

/**
 * The stored session with an access token good for at least 30 more seconds: refreshed (and the
 * rotated refresh token stored) when needed. Not logged in, or a session that has ended, is an
 * error that says to run cathouse login.
 */
export async function activeSession(env: NodeJS.ProcessEnv): Promise<StoredSession> {
  const session = await loadSession(env);
  if (!session) throw new CliError('not logged in: run cathouse login');
  if (session.access_token_expires_at - 30 > Date.now() / 1000) return session;
  let refreshed: TokenResponse;
  try {
    refreshed = await requestJson<TokenResponse>(apiUrl(session.server, '/token'), { form: { grant_type: 'refresh_token', refresh_token: session.refresh_token } });
  } catch (err) {
    if (err instanceof CliError && err.code === 'invalid_grant') throw new CliError('your session has ended (logged out, expired or revoked): run cathouse login', 1, 'invalid_grant');
    throw err;
  }
  if (!refreshed.refresh_token) throw new CliError('the server kept the refresh token in a cookie (REFRESH_TOKEN_COOKIE=true): the CLI needs it in the body');
  const next: StoredSession = {
    ...session,
    access_token: refreshed.access_token,
    refresh_token: refreshed.refresh_token,
    access_token_expires_at: Math.floor(Date.now() / 1000) + refreshed.expires_in,
  };
  await saveSession(env, next);
  return next;
}

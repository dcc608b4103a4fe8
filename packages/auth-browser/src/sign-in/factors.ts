import type { AccountHost } from '../account.js';
import type { AuthUser, TokenResponse } from '../types.js';
import { factorBody, type SecondFactor } from './mfa.js';
import { browserPasskeys, type PasskeyAdapter } from './passkey.js';

/**
 * Setting up second factors and stepping up, for a signed-in client (`auth`). Each rejects with
 * AuthError: `insufficient_user_authentication` asks for `stepUp` first (`data.factors` says
 * with what), `factor_exists`, `invalid_credentials`.
 */
type Host = Pick<AccountHost, 'api' | 'authorized' | 'updateSession'>;
type Codes = { recovery_codes?: string[] };
const post = <T>(auth: Host, path: string, body?: unknown) => auth.authorized((token) => auth.api.call<T>('POST', path, { token, body }));

/** Starts the authenticator app: `secret` to type in, `otpauth_uri` for a QR code. */
export const enrolTotp = (auth: Host) => post<{ secret: string; otpauth_uri: string }>(auth, '/me/totp');

/** Confirms it with its first code; the first factor of an account comes with recovery codes, shown once. */
export const confirmTotp = (auth: Host, code: string) => post<Codes>(auth, '/me/totp/confirm', { code });

/** Registers a passkey of this device (the browser's by default). */
export const registerPasskey = async (auth: Host, name?: string, adapter: PasskeyAdapter = browserPasskeys) =>
  post<Codes & { passkey: Record<string, unknown> }>(auth, '/me/passkeys', { response: await adapter.create(await post(auth, '/me/passkeys/options')), name });

/**
 * Proves a factor again in this session (or the password, for an account without factors): the
 * session's new access token is stored, and the sensitive call can be made again.
 */
export async function stepUp(auth: Host, factor: SecondFactor | { password: string }): Promise<void> {
  const body = 'password' in factor ? factor : await factorBody(factor, () => post(auth, '/step-up/passkey-options'));
  const tokens = await post<TokenResponse>(auth, '/step-up', body);
  const user = await auth.api.call<AuthUser>('GET', '/me', { token: tokens.access_token });
  await auth.updateSession(user, tokens);
}

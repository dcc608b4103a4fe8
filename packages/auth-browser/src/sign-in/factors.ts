import type { AccountHost } from '../account.js';
import type { AuthUser, FactorOverview, Passkey, TokenResponse } from '../types.js';
import { factorBody, type SecondFactor } from './mfa.js';
import { browserPasskeys, type PasskeyAdapter } from './passkey.js';

/**
 * Setting up, listing and removing second factors, and stepping up, for a signed-in client
 * (`auth`). Each rejects with AuthError: `insufficient_user_authentication` asks for `stepUp`
 * first (`data.factors` says with what), `factor_exists`, `invalid_credentials`, `not_found`.
 * The setup calls and stepUp are in the main entry; all of them in `@cathouse/auth-browser/factors`.
 */
type Host = Pick<AccountHost, 'api' | 'authorized' | 'updateSession'>;
type Codes = { recovery_codes?: string[] };
const send = <T>(auth: Host, method: string, path: string, body?: unknown) => auth.authorized((token) => auth.api.call<T>(method, path, { token, body }));
const post = <T>(auth: Host, path: string, body?: unknown) => send<T>(auth, 'POST', path, body);
const passkeyPath = (id: string) => `/me/passkeys/${encodeURIComponent(id)}`;

/** Starts the authenticator app: `secret` to type in, `otpauth_uri` for a QR code. */
export const enrolTotp = (auth: Host) => post<{ secret: string; otpauth_uri: string }>(auth, '/me/totp');

/** Confirms it with its first code; the first factor of an account comes with recovery codes, shown once. */
export const confirmTotp = (auth: Host, code: string) => post<Codes>(auth, '/me/totp/confirm', { code });

/** Registers a passkey of this device (the browser's by default). */
export const registerPasskey = async (auth: Host, name?: string, adapter: PasskeyAdapter = browserPasskeys) =>
  post<Codes & { passkey: Passkey }>(auth, '/me/passkeys', { response: await adapter.create(await post(auth, '/me/passkeys/options')), name });

/** The user's factors: the authenticator app (on or off), passkeys, recovery codes left, and what a step-up may use. */
export const listFactors = (auth: Host) => send<FactorOverview>(auth, 'GET', '/me/factors');

/** Removes the authenticator app (after a `stepUp`); `not_found` when none is set up. The last factor takes the recovery codes with it. */
export const deleteTotp = (auth: Host) => send<void>(auth, 'DELETE', '/me/totp');

/** A new set of ten recovery codes, shown once; the old set stops working (after a `stepUp`; `invalid_request` without a factor). */
export const regenerateRecoveryCodes = (auth: Host) => post<{ recovery_codes: string[] }>(auth, '/me/recovery-codes');

/** Renames a passkey (no step-up). */
export const renamePasskey = (auth: Host, id: string, name: string) => send<Passkey>(auth, 'PATCH', passkeyPath(id), { name });

/** Deletes a passkey (after a `stepUp`): it no longer signs in. The last factor takes the recovery codes with it. */
export const deletePasskey = (auth: Host, id: string) => send<void>(auth, 'DELETE', passkeyPath(id));

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

import { generateRegistrationOptions, verifyRegistrationResponse, type PublicKeyCredentialCreationOptionsJSON, type RegistrationResponseJSON } from '@simplewebauthn/server';
import { decodeClientDataJSON } from '@simplewebauthn/server/helpers';
import type { DataSource, EntityManager } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { sql } from '../sql';
import { CHALLENGE_TTL_SECONDS, challengeBytes, checkChallenge, makeChallenge, spendChallenge } from './challenges';
import type { FactorDeps } from './factor-deps';

/**
 * Passkey registration and the user's list of passkeys, with SimpleWebAuthn holding WebAuthn's
 * rules (attestation formats, authenticator data, COSE keys, origins and RP id); ours are the
 * challenge, the storage and the policy. Registration asks for a discoverable credential
 * (`residentKey: required`) so the passkey can sign in without an email, and no attestation
 * (`none`): Cat House trusts the account's owner to choose their authenticator.
 */

export interface PublicPasskey {
  id: string;
  name: string;
  /** `singleDevice` (device-bound) or `multiDevice` (synced between the user's devices). */
  device_type: string;
  backed_up: boolean;
  transports: string[];
  created_at: string;
  last_used_at: string | null;
}

interface PasskeyRow {
  id: string;
  name: string;
  device_type: string;
  backed_up: boolean;
  transports: string[];
  created_at: Date;
  last_used_at: Date | null;
}

const publicPasskey = (r: PasskeyRow): PublicPasskey => ({
  id: r.id,
  name: r.name,
  device_type: r.device_type,
  backed_up: r.backed_up,
  transports: r.transports,
  created_at: r.created_at.toISOString(),
  last_used_at: r.last_used_at?.toISOString() ?? null,
});

/** The WebAuthn user handle: the account id's 16 bytes (opaque, no personal data, WebAuthn §14.6.1). */
export function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'));
}

/** The challenge of a response, read from its clientDataJSON (verification checks it again). */
export function challengeOf(clientDataJSON: string): string {
  try {
    return decodeClientDataJSON(clientDataJSON).challenge;
  } catch {
    throw refused('its clientDataJSON cannot be read');
  }
}

export function refused(why: string): AppError {
  return new AppError('invalid_credentials', `The passkey response was refused: ${why}.`);
}

/** Options for navigator.credentials.create() (or a native passkey API) for this user. */
export async function registrationOptions(deps: FactorDeps, user: { id: string; email: string; displayName: string | null }): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rows } = await sql<{ credential_id: string; transports: string[] }>(
    deps.dataSource,
    `SELECT credential_id, transports FROM auth.webauthn_credentials WHERE user_id = $1`,
    [user.id],
  );
  return generateRegistrationOptions({
    rpName: deps.settings.rpName,
    rpID: deps.settings.rpId,
    userName: user.email,
    userID: userHandle(user.id),
    userDisplayName: user.displayName ?? user.email,
    // Bytes: a string would be taken as UTF-8 and the browser would sign its base64url of those.
    challenge: challengeBytes(makeChallenge(deps.secrets, 'register', user.id)),
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    // An authenticator that already holds one of the user's credentials says so instead of making another.
    excludeCredentials: rows.map((r) => ({ id: r.credential_id, transports: r.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  });
}

/**
 * Verifies the response of navigator.credentials.create() and stores the passkey in the caller's
 * transaction. Refused (401 invalid_credentials, saying why): a challenge this server did not make
 * for this user, an expired or already answered one, another origin or RP id, a bad attestation.
 */
export async function registerPasskey(deps: FactorDeps, manager: EntityManager, userId: string, response: RegistrationResponseJSON, name: string | undefined): Promise<PublicPasskey> {
  const challenge = challengeOf(response.response.clientDataJSON);
  const expiresAt = checkChallenge(deps.secrets, challenge, 'register', userId);
  if (!expiresAt) throw refused('its challenge was not made for this account by this server, or has expired');
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...deps.settings.origins],
      expectedRPID: deps.settings.rpId,
      requireUserVerification: false,
    });
  } catch (err) {
    throw refused((err as Error).message);
  }
  if (!verified.verified) throw refused('the attestation did not verify');
  if (!(await spendChallenge(manager, challenge, expiresAt))) throw refused('its challenge was already answered');
  const info = verified.registrationInfo;
  const { rows } = await sql<PasskeyRow>(
    manager,
    `INSERT INTO auth.webauthn_credentials (user_id, credential_id, public_key, sign_count, transports, device_type, backed_up, aaguid, name)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (credential_id) DO NOTHING
     RETURNING id, name, device_type, backed_up, transports, created_at, last_used_at`,
    [
      userId,
      info.credential.id,
      Buffer.from(info.credential.publicKey),
      info.credential.counter,
      response.response.transports ?? [],
      info.credentialDeviceType,
      info.credentialBackedUp,
      info.aaguid,
      name ?? defaultName(response),
    ],
  );
  if (!rows[0]) throw new AppError('factor_exists', 'This passkey is already registered.');
  return publicPasskey(rows[0]);
}

function defaultName(response: RegistrationResponseJSON): string {
  return response.authenticatorAttachment === 'cross-platform' ? 'Security key' : 'Passkey';
}

export async function listPasskeys(executor: DataSource | EntityManager, userId: string): Promise<PublicPasskey[]> {
  const { rows } = await sql<PasskeyRow>(
    executor,
    `SELECT id, name, device_type, backed_up, transports, created_at, last_used_at FROM auth.webauthn_credentials WHERE user_id = $1 ORDER BY created_at, id`,
    [userId],
  );
  return rows.map(publicPasskey);
}

export async function renamePasskey(dataSource: DataSource, userId: string, id: string, name: string): Promise<PublicPasskey> {
  const { rows } = await sql<PasskeyRow>(
    dataSource,
    `UPDATE auth.webauthn_credentials SET name = $3 WHERE id = $1 AND user_id = $2
     RETURNING id, name, device_type, backed_up, transports, created_at, last_used_at`,
    [id, userId, name],
  );
  if (!rows[0]) throw new AppError('not_found', 'No passkey of yours has this id.');
  return publicPasskey(rows[0]);
}

/** Deletes one passkey of the user in the caller's transaction; its name, or not_found. */
export async function deletePasskey(manager: EntityManager, userId: string, id: string): Promise<string> {
  const { rows } = await sql<{ name: string }>(manager, `DELETE FROM auth.webauthn_credentials WHERE id = $1 AND user_id = $2 RETURNING name`, [id, userId]);
  if (!rows[0]) throw new AppError('not_found', 'No passkey of yours has this id.');
  return rows[0].name;
}

import { generateAuthenticationOptions, verifyAuthenticationResponse, type AuthenticationResponseJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { DataSource } from 'typeorm';
import { recordEvent } from '../audit/audit-events';
import type { AuthenticationMethod } from '../oidc/authentication-context';
import { sql } from '../sql';
import { CHALLENGE_TTL_SECONDS, challengeBytes, challengeSpent, checkChallenge, makeChallenge, spendChallenge, type ChallengePurpose } from './challenges';
import type { FactorClient, FactorDeps } from './factor-deps';
import { challengeOf, refused } from './passkeys';

/**
 * Signing with a passkey: as the first factor without an email (a discoverable credential finds
 * its account by its id), as the second factor of an MFA challenge, or for a step-up. The first
 * needs user verification (PIN or biometrics: the passkey alone is then two factors); the others
 * ask for it (`preferred`) and count the passkey as the possession factor either way.
 */

/** The ceremony an assertion answers: its challenge's purpose and subject (challenges.ts). */
export interface Ceremony {
  purpose: Exclude<ChallengePurpose, 'register'>;
  /** '' for sign_in; the MFA challenge's id; the session's id for step_up. */
  subject: string;
  /** The account the credential must belong to (second factor, step-up). */
  userId?: string | undefined;
}

export interface VerifiedPasskey {
  userId: string;
  credentialRowId: string;
  name: string;
  /** RFC 8176: `swk` for a synced passkey, `hwk` for a device-bound one, plus `mfa` when the user was verified. */
  methods: AuthenticationMethod[];
}

/** Options for navigator.credentials.get(): the user's credentials when the ceremony has a user, none (discoverable) otherwise. */
export async function assertionOptions(deps: FactorDeps, ceremony: Ceremony): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const allow = ceremony.userId
    ? (await sql<{ credential_id: string; transports: string[] }>(deps.dataSource, `SELECT credential_id, transports FROM auth.webauthn_credentials WHERE user_id = $1`, [ceremony.userId])).rows
    : [];
  return generateAuthenticationOptions({
    rpID: deps.settings.rpId,
    challenge: challengeBytes(makeChallenge(deps.secrets, ceremony.purpose, ceremony.subject)),
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    allowCredentials: allow.map((r) => ({ id: r.credential_id, transports: r.transports })),
    userVerification: ceremony.purpose === 'sign_in' ? 'required' : 'preferred',
  });
}

interface CredentialRow {
  id: string;
  user_id: string;
  name: string;
  public_key: Buffer;
  sign_count: string;
  transports: string[];
}

/**
 * Verifies a navigator.credentials.get() response for `ceremony` (throws 401 invalid_credentials
 * saying why) and records the use: the new counter and backup state, the challenge spent. A
 * counter that did not grow on a genuine signature is WebAuthn's sign of a cloned authenticator
 * (§6.1.1): refused and audited (passkey_clone_suspected).
 */
export async function verifyPasskeyAssertion(deps: FactorDeps, response: AuthenticationResponseJSON, ceremony: Ceremony, client: FactorClient): Promise<VerifiedPasskey> {
  const { rows } = await sql<CredentialRow>(
    deps.dataSource,
    `SELECT c.id, c.user_id, c.name, c.public_key, c.sign_count, c.transports
       FROM auth.webauthn_credentials c JOIN auth.users u ON u.id = c.user_id
      WHERE c.credential_id = $1 AND u.is_active AND u.deleted_at IS NULL`,
    [response.id],
  );
  const credential = rows[0];
  if (!credential || (ceremony.userId !== undefined && credential.user_id !== ceremony.userId)) throw refused('this passkey is not registered here for this account');
  const challenge = challengeOf(response.response.clientDataJSON);
  const expiresAt = checkChallenge(deps.secrets, challenge, ceremony.purpose, ceremony.subject);
  if (!expiresAt) throw refused('its challenge was not made for this sign-in by this server, or has expired');
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: [...deps.settings.origins],
      expectedRPID: deps.settings.rpId,
      // The stored counter is compared below, after the signature, so that a clone signal is only
      // ever raised for a genuine signature (the library would refuse before checking it).
      credential: { id: response.id, publicKey: new Uint8Array(credential.public_key), counter: 0, transports: credential.transports },
      requireUserVerification: ceremony.purpose === 'sign_in',
    });
  } catch (err) {
    throw refused((err as Error).message);
  }
  if (!verified.verified) throw refused('its signature does not verify');
  const info = verified.authenticationInfo;
  const stored = Number(credential.sign_count);
  if ((info.newCounter > 0 || stored > 0) && info.newCounter <= stored) {
    // The same response sent again carries the counter its first use stored: a replay, refused as
    // one, not a clone (which signs a fresh challenge with an old counter).
    if (await challengeSpent(deps.dataSource, challenge)) throw refused('its challenge was already answered (a replayed response)');
    await recordEvent(deps.dataSource, {
      type: 'passkey_clone_suspected',
      userId: credential.user_id,
      client,
      detail: { passkey_id: credential.id, stored_counter: stored, presented_counter: info.newCounter },
    });
    deps.logger?.warn({ event: 'passkey_clone_suspected', user_id: credential.user_id, passkey_id: credential.id }, 'a passkey signed with a counter that did not grow');
    throw refused("the authenticator's signature counter went back (a cloned authenticator?)");
  }
  await spendAndRecord(deps.dataSource, challenge, expiresAt, credential.id, info);
  const kind: AuthenticationMethod = info.credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk';
  return { userId: credential.user_id, credentialRowId: credential.id, name: credential.name, methods: info.userVerified ? [kind, 'mfa'] : [kind] };
}

/** The challenge spent and the credential's new state, together; a replayed response finds its challenge spent. */
async function spendAndRecord(
  dataSource: DataSource,
  challenge: string,
  expiresAt: Date,
  credentialRowId: string,
  info: { newCounter: number; credentialDeviceType: string; credentialBackedUp: boolean },
): Promise<void> {
  await dataSource.transaction(async (manager) => {
    if (!(await spendChallenge(manager, challenge, expiresAt))) throw refused('its challenge was already answered (a replayed response)');
    await sql(
      manager,
      `UPDATE auth.webauthn_credentials SET sign_count = $2, device_type = $3, backed_up = $4, last_used_at = statement_timestamp() WHERE id = $1`,
      [credentialRowId, info.newCounter, info.credentialDeviceType, info.credentialBackedUp],
    );
  });
}

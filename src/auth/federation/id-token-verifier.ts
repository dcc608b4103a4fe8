import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../config/config';
import { AppError } from '../../errors/app-error';
import { normalizeEmail } from '../accounts/users';
import { IdTokenRefused } from './id-token-errors';
import { jose } from './jose-library';

type ProviderSettings = Config['federation']['providers'][number];
export type ProviderName = ProviderSettings['name'];

/** Who the provider says signed in, once every rule below has passed. */
export interface ProviderIdentity {
  /** apple, google, or a web redirect provider's configured name (the same name links the same identities). */
  provider: string;
  subject: string;
  /** Normalised; proven by the provider (email_verified). */
  email: string;
  /** Apple's private relay address (is_private_email): deliverable, but matches no address a person typed. */
  isPrivateEmail: boolean;
  /** The name in the token (Google); Apple gives it to the app on the first sign-in only, never in the token. */
  name: string | null;
}

/** Signature algorithms Apple and Google sign ID tokens with; `none` and HMAC can never be chosen by a token. */
const ALGORITHMS = ['RS256', 'ES256'];

/** Apple and Google send booleans as JSON booleans or as the strings "true"/"false" (Apple's older tokens). */
function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** The nonce the app gave the provider is SHA-256 (hex) of the raw one it sends us, as Apple's and Google's native SDKs are used. */
export function hashNonce(rawNonce: string): string {
  return createHash('sha256').update(rawNonce, 'utf8').digest('hex');
}

/**
 * Verifies native ID tokens (OIDC Core §3.1.3.7, RFC 8725) with jose: the signature against the
 * provider's JWKS (cached; fetched again when a token names an unknown kid, at most once per
 * cooldown), iss, aud among the configured client ids (azp when there are several audiences),
 * exp/iat/nbf with a small tolerance, the nonce and email_verified. Each failure throws
 * IdTokenRefused with its own code.
 */
export class IdTokenVerifier {
  private readonly keySets = new Map<ProviderName, ReturnType<typeof jose.createRemoteJWKSet>>();

  constructor(private readonly settings: Config['federation']) {}

  /** The configured provider of this name, or 400 unknown_provider. */
  provider(name: string): ProviderSettings {
    const found = this.settings.providers.find((p) => p.name === name);
    if (!found) {
      const names = this.settings.providers.map((p) => p.name).join(', ') || 'none configured';
      throw new AppError('unknown_provider', `No identity provider named ${JSON.stringify(name).slice(0, 40)} is configured (${names}).`);
    }
    return found;
  }

  async verify(providerName: string, idToken: string, rawNonce: string | undefined): Promise<ProviderIdentity> {
    const provider = this.provider(providerName);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose.jwtVerify(idToken, this.keySet(provider), {
        issuer: provider.issuer,
        audience: [...provider.clientIds],
        algorithms: ALGORITHMS,
        clockTolerance: this.settings.clockToleranceSeconds,
        maxTokenAge: this.settings.maxTokenAgeSeconds,
        requiredClaims: ['sub', 'iat', 'exp'],
      }));
    } catch (err) {
      throw refusal(err);
    }
    const aud = payload.aud;
    if (Array.isArray(aud) && aud.length > 1 && !(typeof payload.azp === 'string' && provider.clientIds.includes(payload.azp))) {
      throw new IdTokenRefused('id_token_wrong_audience', 'The ID token has several audiences and its azp is none of the configured client ids.');
    }
    if (!nonceMatches(payload.nonce, rawNonce)) throw new IdTokenRefused('id_token_nonce_mismatch');
    if (typeof payload.email !== 'string' || payload.email === '' || !isTrue(payload.email_verified)) {
      throw new IdTokenRefused('provider_email_unverified');
    }
    const name = typeof payload.name === 'string' && payload.name.trim() !== '' ? payload.name.trim().slice(0, 100) : null;
    return {
      provider: provider.name,
      subject: String(payload.sub),
      email: normalizeEmail(payload.email),
      isPrivateEmail: isTrue(payload.is_private_email),
      name,
    };
  }

  private keySet(provider: ProviderSettings): ReturnType<typeof jose.createRemoteJWKSet> {
    let set = this.keySets.get(provider.name);
    if (!set) {
      set = jose.createRemoteJWKSet(new URL(provider.jwksUri), {
        cacheMaxAge: this.settings.jwksCacheSeconds * 1000,
        cooldownDuration: this.settings.jwksCooldownSeconds * 1000,
        timeoutDuration: 5_000,
      });
      this.keySets.set(provider.name, set);
    }
    return set;
  }
}

function nonceMatches(claim: unknown, rawNonce: string | undefined): boolean {
  // Both or nothing would let a token minted without a nonce (a replay from elsewhere) through: both are required.
  if (typeof claim !== 'string' || claim === '' || rawNonce === undefined || rawNonce === '') return false;
  const expected = Buffer.from(hashNonce(rawNonce));
  const actual = Buffer.from(claim);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** jose's stable error codes to ours; a JWKS that cannot be fetched is the provider's outage, not the token's fault. */
function refusal(err: unknown): AppError {
  const code = (err as { code?: string }).code;
  const claim = (err as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new IdTokenRefused('id_token_expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'iss') return new IdTokenRefused('id_token_wrong_issuer');
      if (claim === 'aud') return new IdTokenRefused('id_token_wrong_audience');
      if (claim === 'iat' || claim === 'nbf') return new IdTokenRefused('id_token_not_yet_valid');
      return new IdTokenRefused('id_token_invalid', `The ID token's ${claim ?? 'claims'} claim is missing or invalid.`);
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return new AppError('provider_unavailable', 'The identity provider\'s keys could not be fetched; try again shortly.');
    case undefined:
      // fetch() itself failed (connection refused, DNS): the provider is unreachable.
      // By name: fetch's TypeError may come from another realm (a jest sandbox), where instanceof fails.
      if ((err as Error | undefined)?.name === 'TypeError') return new AppError('provider_unavailable', 'The identity provider\'s keys could not be fetched; try again shortly.');
      throw err;
    default:
      return new IdTokenRefused('id_token_invalid');
  }
}

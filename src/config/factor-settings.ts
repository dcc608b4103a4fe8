import { ConfigError } from './config-error';
import type { Config } from './config-type';

/**
 * Passkeys, second factors and step-up (issue 26): the relying party, the origins whose WebAuthn
 * responses are accepted, the native apps that may use the domain (Apple's webcredentials, Android's
 * Digital Asset Links), and the policy knobs. Parsed from the schema's output by parseConfig.
 */

interface FactorEnv {
  APP_URL: string;
  WEBAUTHN_RP_ID?: string | undefined;
  WEBAUTHN_RP_NAME: string;
  WEBAUTHN_ORIGINS?: string[] | undefined;
  APPLE_APP_IDS?: string[] | undefined;
  ANDROID_APPS?: string[] | undefined;
  MFA_REQUIRED_ROLES?: string[] | undefined;
  STEP_UP_MAX_AGE_SECONDS: number;
  MFA_TOKEN_TTL_SECONDS: number;
}

const ROLES = ['player', 'developer', 'admin'] as const;
const ANDROID_ORIGIN = /^android:apk-key-hash:[A-Za-z0-9_-]{43}$/;
const APPLE_APP_ID = /^[A-Z0-9]{10}\.[A-Za-z0-9][A-Za-z0-9.-]*$/;
const ANDROID_APP = /^([a-zA-Z][\w]*(?:\.[a-zA-Z][\w]*)+)@((?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$/;

/** `android:apk-key-hash:` + base64url of the signing certificate's SHA-256: the origin Android's passkey APIs report. */
export function androidOrigin(fingerprint: string): string {
  return `android:apk-key-hash:${Buffer.from(fingerprint.replace(/:/g, ''), 'hex').toString('base64url')}`;
}

export function parseFactorSettings(e: FactorEnv): Config['factors'] {
  const appOrigin = new URL(e.APP_URL).origin;
  const rpId = (e.WEBAUTHN_RP_ID ?? new URL(e.APP_URL).hostname).toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(rpId)) {
    throw new ConfigError('WEBAUTHN_RP_ID', `WEBAUTHN_RP_ID: expected a domain such as cathouse.example (no scheme, port or path), not ${rpId}`);
  }
  const androidApps = new Map<string, string[]>();
  for (const entry of e.ANDROID_APPS ?? []) {
    const match = ANDROID_APP.exec(entry);
    if (!match) {
      throw new ConfigError('ANDROID_APPS', `ANDROID_APPS: expected package@SHA-256 fingerprint entries such as com.cathouse.app@14:6D:...:4F (32 colon-separated bytes), not ${entry}`);
    }
    androidApps.set(match[1]!, [...(androidApps.get(match[1]!) ?? []), match[2]!.toUpperCase()]);
  }
  const derivedAndroid = [...androidApps.values()].flat().map(androidOrigin);
  const origins = [...new Set(e.WEBAUTHN_ORIGINS ?? [appOrigin, ...derivedAndroid])];
  for (const origin of origins) {
    if (ANDROID_ORIGIN.test(origin)) continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError('WEBAUTHN_ORIGINS', `WEBAUTHN_ORIGINS: expected web origins (https://app.cathouse.example) or android:apk-key-hash:<43 base64url characters>, not ${origin}`);
    }
    // WebAuthn needs a secure context: https, or http on this machine (browsers treat localhost as secure).
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    if (url.origin !== origin || (url.protocol !== 'https:' && !(url.protocol === 'http:' && local))) {
      throw new ConfigError('WEBAUTHN_ORIGINS', `WEBAUTHN_ORIGINS: ${origin} is not an https origin (scheme, host and port only; http only for localhost)`);
    }
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      throw new ConfigError('WEBAUTHN_RP_ID', `WEBAUTHN_RP_ID: ${rpId} must be the host of every web origin or a parent domain of it (WebAuthn §5.1.3), and ${origin} is neither; set WEBAUTHN_RP_ID or WEBAUTHN_ORIGINS`);
    }
  }
  for (const id of e.APPLE_APP_IDS ?? []) {
    if (!APPLE_APP_ID.test(id)) throw new ConfigError('APPLE_APP_IDS', `APPLE_APP_IDS: expected TEAMID.bundle.id entries such as ABCDE12345.com.cathouse.app, not ${id}`);
  }
  const requiredRoles = e.MFA_REQUIRED_ROLES ?? [];
  for (const role of requiredRoles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new ConfigError('MFA_REQUIRED_ROLES', `MFA_REQUIRED_ROLES: expected roles among ${ROLES.join(', ')} (comma-separated), not ${role}`);
  }
  return {
    rpId,
    rpName: e.WEBAUTHN_RP_NAME,
    origins,
    appleAppIds: e.APPLE_APP_IDS ?? [],
    androidApps: [...androidApps].map(([packageName, fingerprints]) => ({ packageName, fingerprints })),
    requiredRoles: requiredRoles as (typeof ROLES)[number][],
    stepUpMaxAgeSeconds: e.STEP_UP_MAX_AGE_SECONDS,
    mfaTokenTtlSeconds: e.MFA_TOKEN_TTL_SECONDS,
  };
}

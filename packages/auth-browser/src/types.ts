// The service's shapes, with its own field names (RFC 6749's for tokens, snake_case for the rest; see docs/api.md).

/** `bearer`: the refresh token travels in JSON bodies and is kept by this package. `cookie`: it stays in the service's HttpOnly cookie. */
export type AuthMode = 'bearer' | 'cookie';

export interface AuthUser {
  id: string;
  /** null for a guest player. */
  email: string | null;
  role: 'player' | 'developer' | 'admin' | 'guest' | (string & {});
  /** True for a guest player (`asGuest`) until `withGuestUpgrade`. */
  is_anonymous?: boolean;
  /** The service's name for what the Cat House frontend calls `name`. */
  display_name: string | null;
  /** Whether the address was proven by a link from a mail (`verifyEmail`). */
  email_verified: boolean;
  is_active: boolean;
  created_at: string;
  /** The language of the user's mail (`"es"`), null for the service default; set at registration or with updateMe. */
  locale?: string | null;
}

/** RFC 6749 §5.1, as the service answers it; `refresh_token` is absent in cookie mode and from `me/developer`. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  user?: AuthUser;
}

export interface RegisterInput {
  email: string;
  password: string;
  display_name?: string;
  /** The Cat House frontend's field: sent as `display_name` (the service refuses `name`). `display_name` wins when both are given. */
  name?: string;
  /** `developer` is asked for, not given: the user is a player until the email is verified (the verification link grants it). */
  role?: 'player' | 'developer';
  /** The solved CAPTCHA widget's token, when the service asks for one (`captcha_required`). */
  captcha_token?: string;
  /** The language of the user's mail (`es`); the browser's Accept-Language decides when absent. */
  locale?: string;
}

export interface ProfileInput {
  /** `null` clears it. */
  display_name?: string | null;
  /** The Cat House frontend's field, sent as `display_name`. */
  name?: string | null;
  /** The language of the user's mail (`es`); `null` clears it. */
  locale?: string | null;
}

/** One of the user's live sessions (devices), `GET me/sessions`. */
export interface DeviceSession {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  user_agent: string | null;
  /** A coarse label for people, e.g. "Firefox on Windows". */
  device: string;
  ip: string | null;
  /** The session of this client. */
  current: boolean;
}

/** One entry of the user's security history, `GET me/events`. */
export interface SecurityEvent {
  id: string;
  occurred_at: string;
  type: string;
  user_id: string | null;
  actor_id: string | null;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
}

export interface EventPage {
  events: SecurityEvent[];
  /** Pass as `before` for older events; null on the last page. */
  next_before: string | null;
}

/** The answer of the mail-sending endpoints: the same whatever the outcome. */
export interface Accepted {
  status: 'accepted';
  detail: string;
}

/** A personal access token as listed (`auth.account.listTokens`); never the token itself. */
export interface PersonalAccessToken {
  id: string;
  name: string;
  /** The token's first 8 characters (`chp_…`), to recognise it. */
  token_prefix: string;
  scopes: string[];
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
}

/** What `auth.account.createToken` answers: the listing plus `token`, shown this once. */
export interface CreatedPersonalAccessToken extends PersonalAccessToken {
  token: string;
}

/** A provider account (Apple, Google) linked to the user, `auth.account.listIdentities`. */
export interface LinkedIdentity {
  id: string;
  provider: 'apple' | 'google' | (string & {});
  /** The address the provider proved at the last sign-in. */
  email: string | null;
  /** Apple's private relay address. */
  is_private_email: boolean;
  created_at: string;
  last_sign_in_at: string;
}

/** A cat's app the user let in through the OpenID provider (Sign in with Cat House), `auth.account.listConnectedApps`. */
export interface ConnectedApp {
  /** What `disconnectApp` takes. */
  id: string;
  client_id: string;
  client_name: string | null;
  cat: { id: string; name: string };
  installation: { id: string; instance_name: string; status: string };
  /** What the user granted at consent. */
  scopes: string[];
  /** What a token carries now: granted scopes the installation still grants (`[]` while it is paused). */
  permissions: string[];
  granted_at: string;
  last_used_at: string | null;
}

/** A passkey of the user, as `listFactors`, `registerPasskey` and `renamePasskey` answer it. */
export interface Passkey {
  id: string;
  name: string;
  /** `singleDevice` (device-bound) or `multiDevice` (synced between the user's devices). */
  device_type: string;
  backed_up: boolean;
  transports: string[];
  created_at: string;
  last_used_at: string | null;
}

/** The user's second factors, `listFactors`: `factors` is what a challenge or a step-up may be answered with. */
export interface FactorOverview {
  factors: ('totp' | 'passkey' | 'recovery_code')[];
  totp: { enabled: boolean };
  passkeys: Passkey[];
  /** Unused recovery codes (0 without a factor). */
  recovery_codes: { remaining: number };
}

import type { DataSource } from 'typeorm';
import { AppError } from '../../errors/app-error';
import { recordEvent, type AuditClient } from '../audit/audit-events';
import type { RepeatGuard } from '../audit/repeat-guard';
import type { Logger } from '../../logging/logger';
import { signTokenWithClaims, type AccessTokenClaims } from './access-tokens';
import { TOKEN_EXCHANGE_SCOPE, type ServiceClientInfo } from './service-clients';
import { isUuid } from '../ids';
import type { SigningKeys } from './signing-keys';
import { readInstallationAccess } from './installation-access';

/**
 * Installation tokens by token exchange, a subset of RFC 8693.
 *
 * The proxy (a client holding TOKEN_EXCHANGE_SCOPE) presents the user's access token as the
 * subject token and names one installation; the answer is an access token for that cat only:
 * `aud` = `cat:<cat_id>`, `sub` = the user, `installation_id`, `cat_id`, `perms` (the permission
 * types the installation has granted now) and `act` = the proxy (§4.1).
 *
 * Revocation promise: every exchange reads the installation, its cat and its grants afresh
 * (installation-access.ts, shared with the OpenID provider's tokens), so a
 * paused or uninstalled installation, an unpublished cat or a revoked permission is absent from
 * the next token at once. A token already issued is not recalled: it lives at most
 * INSTALLATION_TOKEN_TTL_SECONDS (default 300) and never past the subject token's own expiry.
 */

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3: the only token type taken as subject and issued. */
export const ACCESS_TOKEN_TYPE_URN = 'urn:ietf:params:oauth:token-type:access_token';
/** `resource` may name the installation as this URN followed by its id (RFC 8707 needs an absolute URI). */
export const INSTALLATION_RESOURCE_PREFIX = 'urn:cathouse:installation:';
/** The audience prefix of installation tokens: `cat:<cat_id>`. */
export const CAT_AUDIENCE_PREFIX = 'cat:';

export interface TokenExchangeInput {
  subjectToken: string;
  subjectTokenType: string;
  requestedTokenType?: string | undefined;
  resource?: string | undefined;
  installationId?: string | undefined;
  audience?: string | undefined;
}

export interface InstallationTokenGrant {
  accessToken: string;
  expiresIn: number;
  issuedTokenType: typeof ACCESS_TOKEN_TYPE_URN;
}

export interface TokenExchangeDeps {
  dataSource: DataSource;
  keys: SigningKeys;
  settings: { issuer: string; ttlSeconds: number };
  /** Verifies a user's access token and that its session is live (AuthService.authenticate); throws invalid_token otherwise. */
  authenticateUser(token: string): Promise<{ userId: string; claims: AccessTokenClaims }>;
  /** Bounds token_exchange_refused events (issue 22 L7); without it refusals are not audited. */
  repeatGuard?: RepeatGuard;
  logger?: Logger | undefined;
}

const invalidRequest = (detail: string) => new AppError('invalid_request', detail);
const invalidTarget = (detail: string) => new AppError('invalid_target', detail);

/** The installation named by `resource` or `installation_id` (one of them, or both the same). */
function installationIdOf(input: TokenExchangeInput): string {
  // An empty form field means "not given" (form encoders send empty values).
  const installationId = input.installationId || undefined;
  let fromResource: string | undefined;
  if (input.resource !== undefined) {
    if (!input.resource.startsWith(INSTALLATION_RESOURCE_PREFIX)) {
      throw invalidTarget(`resource must be ${INSTALLATION_RESOURCE_PREFIX}<installation id>.`);
    }
    fromResource = input.resource.slice(INSTALLATION_RESOURCE_PREFIX.length);
  }
  if (fromResource !== undefined && installationId !== undefined && fromResource !== installationId) {
    throw invalidRequest('resource and installation_id name different installations; give one.');
  }
  const id = fromResource ?? installationId;
  if (id === undefined) throw invalidRequest(`Name the installation: installation_id, or resource=${INSTALLATION_RESOURCE_PREFIX}<id>.`);
  if (!isUuid(id)) throw invalidTarget('The installation id is not a UUID.');
  return id.toLowerCase();
}

/**
 * Exchanges a user's access token for an installation token, or throws (RFC 6749 §5.2 / RFC 8693
 * §2.2.2 codes): unauthorized_client when the client lacks the exchange scope; invalid_request
 * for a subject token that is not a live user access token (expired, revoked, another kind) or
 * a malformed request; invalid_target when the installation is unknown, not the subject's,
 * paused or uninstalled, its cat not published, or `audience` is not that cat.
 */
export async function exchangeForInstallationToken(
  deps: TokenExchangeDeps,
  client: ServiceClientInfo,
  input: TokenExchangeInput,
  requester?: AuditClient & { ip: string },
): Promise<InstallationTokenGrant> {
  const refusal: { userId: string | null } = { userId: null };
  try {
    return await exchange(deps, client, input, refusal);
  } catch (err) {
    // Issue 22 L7: a refused exchange is an event (once per client, subject and address per window).
    if (err instanceof AppError && requester && deps.repeatGuard && (await deps.repeatGuard.first('token_exchange_refused', `${client.clientId}:${refusal.userId ?? '-'}`, requester.ip))) {
      const installation = input.installationId || input.resource;
      await recordEvent(deps.dataSource, {
        type: 'token_exchange_refused',
        userId: refusal.userId,
        client: requester,
        detail: { error: err.code, client_id: client.clientId, ...(installation && installation.length <= 200 ? { installation: installation } : {}) },
      });
      deps.logger?.warn({ event: 'token_exchange_refused', client_id: client.clientId, error: err.code, user_id: refusal.userId, ip: requester.ip }, 'token exchange refused (repeats are not logged for a while)');
    }
    throw err;
  }
}

async function exchange(deps: TokenExchangeDeps, client: ServiceClientInfo, input: TokenExchangeInput, refusal: { userId: string | null }): Promise<InstallationTokenGrant> {
  if (!client.scopes.includes(TOKEN_EXCHANGE_SCOPE)) {
    throw new AppError('unauthorized_client', `The client "${client.clientId}" lacks the scope ${TOKEN_EXCHANGE_SCOPE} that token exchange needs.`);
  }
  if (input.subjectTokenType !== ACCESS_TOKEN_TYPE_URN) {
    throw invalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE_URN}.`);
  }
  if (input.requestedTokenType !== undefined && input.requestedTokenType !== ACCESS_TOKEN_TYPE_URN) {
    throw invalidRequest(`requested_token_type may only be ${ACCESS_TOKEN_TYPE_URN}.`);
  }
  const installationId = installationIdOf(input);

  let subject: { userId: string; claims: AccessTokenClaims };
  try {
    subject = await deps.authenticateUser(input.subjectToken);
  } catch (err) {
    // RFC 8693 §2.2.2: an invalid subject token is invalid_request (not invalid_grant).
    if (err instanceof AppError && err.code === 'invalid_token') throw invalidRequest(`subject_token: ${err.detail}`);
    throw err;
  }
  refusal.userId = subject.userId;

  const installation = await readInstallationAccess(deps.dataSource, installationId);
  // Unknown and someone else's read the same: an installation id tells nothing about another user.
  if (!installation || installation.userId !== subject.userId) throw invalidTarget('No such installation for the subject.');
  if (installation.status !== 'active') throw invalidTarget(`The installation is ${installation.status}.`);
  if (installation.catStatus !== 'published') throw invalidTarget('The cat of this installation is not published.');
  const audience = CAT_AUDIENCE_PREFIX + installation.catId;
  if (input.audience !== undefined && input.audience !== audience) throw invalidTarget(`audience must be ${audience} for this installation.`);

  const now = Math.floor(Date.now() / 1000);
  // Never outlives the user's token it was exchanged for.
  const expiresAt = Math.min(now + deps.settings.ttlSeconds, subject.claims.exp);
  const accessToken = signTokenWithClaims(
    deps.keys,
    { issuer: deps.settings.issuer, audience, subject: subject.userId, expiresAt },
    {
      client_id: client.clientId,
      installation_id: installationId,
      cat_id: installation.catId,
      perms: installation.perms,
      act: { sub: client.clientId },
    },
  );
  return { accessToken, expiresIn: Math.max(0, expiresAt - now), issuedTokenType: ACCESS_TOKEN_TYPE_URN };
}

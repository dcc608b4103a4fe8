/**
 * @cathouse/auth-client: verification of Cat House access tokens for the other services.
 *
 *   const verifier = createVerifier({
 *     jwksUri: 'https://auth.cathouse.example/.well-known/jwks.json',
 *     issuer: 'cathouse-auth',
 *     audience: 'cathouse',
 *   });
 *   app.use('/api/v1/catalog', requireAuth(verifier));
 *   app.post('/api/v1/catalog/cats', requireRole('developer', 'admin'), createCat);
 *
 * Three kinds of token, each with its own verifier (its own audience) and guard; a token of one
 * kind never passes another's guard:
 *   users:         createVerifier            + requireRole(...)
 *                  (with personalAccessTokens: true, also tokens made from a PAT: + requireUserScope('cats:publish'))
 *   services:      createServiceVerifier     + requireScope('users:read')
 *   installations: createInstallationVerifier({ catId }) + requireInstallation({ permission: 'storage' })
 *
 * Step-up (issue 26): requireAuthentication({ amr: SECOND_FACTOR_METHODS, maxAgeSeconds: 600 }) after
 * requireAuth asks a session's token for a recent second factor, and answers a token that falls
 * short as the auth service does (401 insufficient_user_authentication, RFC 9470).
 *
 * Revocation before expiry (issue 29): a deny-list fed by the auth service's Shared Signals stream,
 * pushed (setPushHandler) or polled (startSetPoller), given to the verifiers as `revocations`.
 */
export { AuthClientError, type AuthClientErrorCode, type StepUpChallenge } from './errors';
export { createJwksClient, type JwksClient, type JwksOptions } from './jwks';
export {
  requireAuth,
  requireAuthentication,
  requireInstallation,
  requireRole,
  requireScope,
  requireUserScope,
  SECOND_FACTOR_METHODS,
  type AuthenticationRequirements,
} from './middleware';
export {
  createInstallationVerifier,
  createServiceVerifier,
  createVerifier,
  ROLES,
  type AccessTokenClaims,
  type InstallationTokenClaims,
  type InstallationVerifierOptions,
  type PersonalAccessTokenClaims,
  type UserTokenClaims,
  type Role,
  type ServiceTokenClaims,
  type ServiceVerifierOptions,
  type TokenKind,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
} from './verify';
export { createRevocationList, type RevocationList, type RevocationListOptions } from './revocation/deny-list';
export {
  applySecurityEvent,
  createSetVerifier,
  SetError,
  VERIFICATION_EVENT,
  type SecurityEventToken,
  type SetErrorCode,
  type SetVerifier,
  type SetVerifierOptions,
} from './revocation/security-events';
export { setPushHandler, startSetPoller, type Poller, type PollerOptions, type ReceiverOptions } from './revocation/receivers';

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
 */
export { AuthClientError, type AuthClientErrorCode } from './errors';
export { createJwksClient, type JwksClient, type JwksOptions } from './jwks';
export { requireAuth, requireRole } from './middleware';
export { createVerifier, ROLES, type AccessTokenClaims, type Role, type Verifier, type VerifierOptions } from './verify';

import cookieParser from 'cookie-parser';
import { Router, type RequestHandler } from 'express';
import type { AuthService } from '../../auth/auth-service';
import type { FactorService } from '../../auth/factors/factor-service';
import type { FactorSignIn } from '../../auth/factors/factor-sign-in';
import type { SecondFactorProof } from '../../auth/factors/second-factor';
import type { Config } from '../../config/config';
import { requireBearerToken } from '../middleware/bearer';
import { csrfGuard } from '../middleware/csrf';
import { requireBodyType } from '../middleware/content-type';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import {
  ConfirmTotpRequest,
  MfaTokenRequest,
  MfaVerifyRequest,
  PasskeyIdParams,
  PasskeySignInRequest,
  RegisterPasskeyRequest,
  RenamePasskeyRequest,
  StepUpRequest,
} from '../openapi/factor-schemas';
import { clientInfo } from './auth';
import { sendTokenResponse, type RefreshTransport } from './token-response';

export interface FactorRoutesDeps {
  service: AuthService;
  factors: FactorService;
  signIn: FactorSignIn;
  config: Config;
}

/** The proof fields of a request body (exactly one, checked by the schema) as the domain's type. */
function proofOf(input: { totp_code?: string | undefined; recovery_code?: string | undefined; passkey?: unknown }): SecondFactorProof {
  if (input.totp_code !== undefined) return { totp_code: input.totp_code };
  if (input.recovery_code !== undefined) return { recovery_code: input.recovery_code };
  return { passkey: input.passkey as NonNullable<SecondFactorProof['passkey']> };
}

/**
 * Passkeys, the authenticator app, recovery codes, the MFA challenge and step-up under
 * /api/v1/auth (issue 26). Handlers parse, call the factor rules (src/auth/factors) and shape the
 * answer; every answer that holds a secret, a challenge or a token is no-store.
 */
export function factorRoutes({ service, factors, signIn, config }: FactorRoutesDeps): Router {
  const router = Router();
  const json = requireBodyType('application/json', 'application/*+json');
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  };
  const transport: RefreshTransport = { cookieMode: config.auth.refreshTokenCookie, refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds };
  // The two sign-ins set the refresh cookie in cookie mode: CSRF-guarded as /login is.
  const cookieEndpoint: RequestHandler[] = transport.cookieMode ? [csrfGuard(config.auth.corsOrigins), cookieParser()] : [];
  const principalOf = (req: Parameters<RequestHandler>[0]) => service.authenticate(requireBearerToken(req));

  router.get('/me/factors', noStore, async (req, res) => {
    res.json(await factors.overview(await principalOf(req)));
  });

  // The authenticator app: POST starts (secret + otpauth URI), confirm with a first code.
  router.post('/me/totp', noStore, async (req, res) => {
    res.status(201).json(await factors.beginTotp(await principalOf(req)));
  });
  router.post('/me/totp/confirm', noStore, json, async (req, res) => {
    const principal = await principalOf(req);
    const { code } = parseWith(ConfirmTotpRequest, req.body);
    res.json(await factors.confirmTotp(principal, code, clientInfo(req)));
  });
  router.delete('/me/totp', noStore, async (req, res) => {
    await factors.deleteTotp(await principalOf(req), clientInfo(req));
    res.status(204).end();
  });

  router.post('/me/recovery-codes', noStore, async (req, res) => {
    res.json(await factors.regenerateRecoveryCodes(await principalOf(req), clientInfo(req)));
  });

  // Passkeys of the signed-in user.
  router.post('/me/passkeys/options', noStore, async (req, res) => {
    res.json(await factors.passkeyRegistrationOptions(await principalOf(req)));
  });
  router.post('/me/passkeys', noStore, json, async (req, res) => {
    const principal = await principalOf(req);
    const input = parseWith(RegisterPasskeyRequest, req.body);
    res.status(201).json(await factors.registerPasskey(principal, input.response as never, input.name, clientInfo(req)));
  });
  router.patch('/me/passkeys/:id', noStore, json, async (req, res) => {
    const principal = await principalOf(req);
    const { id } = parseWith(PasskeyIdParams, req.params, 'path');
    const { name } = parseWith(RenamePasskeyRequest, req.body);
    res.json(await factors.renamePasskey(principal, id, name));
  });
  router.delete('/me/passkeys/:id', noStore, async (req, res) => {
    const principal = await principalOf(req);
    const { id } = parseWith(PasskeyIdParams, req.params, 'path');
    await factors.deletePasskey(principal, id, clientInfo(req));
    res.status(204).end();
  });

  // The MFA challenge a password login answered (403 mfa_required, or the /token error).
  router.post('/mfa/passkey-options', noStore, json, async (req, res) => {
    const { mfa_token } = parseWith(MfaTokenRequest, req.body);
    res.json(await signIn.mfaPasskeyOptions(mfa_token));
  });
  router.post('/mfa/verify', noStore, ...cookieEndpoint, json, async (req, res) => {
    const input = parseWith(MfaVerifyRequest, req.body);
    const grant = await signIn.completeMfa(input.mfa_token, proofOf(input), clientInfo(req));
    sendTokenResponse(res, 200, grant, transport, { user: grant.user });
  });

  // Sign-in with a passkey alone: no email, the discoverable credential names its account.
  router.post('/passkeys/sign-in/options', noStore, async (_req, res) => {
    res.json(await signIn.passkeySignInOptions());
  });
  router.post('/passkeys/sign-in', noStore, ...cookieEndpoint, json, async (req, res) => {
    const { response } = parseWith(PasskeySignInRequest, req.body);
    const grant = await signIn.signInWithPasskey(response as never, clientInfo(req));
    sendTokenResponse(res, 200, grant, transport, { user: grant.user });
  });

  // Step-up within the session: a new access token with a fresh auth_time.
  router.post('/step-up/passkey-options', noStore, async (req, res) => {
    res.json(await signIn.stepUpPasskeyOptions(await principalOf(req)));
  });
  router.post('/step-up', noStore, json, async (req, res) => {
    const principal = await principalOf(req);
    const input = parseWith(StepUpRequest, req.body);
    const proof = input.password !== undefined ? { password: input.password } : proofOf(input);
    const { accessToken, expiresIn } = await signIn.stepUp(principal, proof, clientInfo(req));
    res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn });
  });

  // An admin resets the factors of a user who lost them all.
  router.post('/users/:id/factors/reset', noStore, async (req, res) => {
    const principal = await principalOf(req);
    const { id } = parseWith(PasskeyIdParams, req.params, 'path');
    res.json(await factors.resetFactors(principal, id, clientInfo(req)));
  });

  answerOtherMethods(router, [
    ['/me/factors', 'GET'],
    ['/me/totp', 'POST, DELETE'],
    ['/me/totp/confirm', 'POST'],
    ['/me/recovery-codes', 'POST'],
    ['/me/passkeys', 'POST'],
    ['/me/passkeys/options', 'POST'],
    ['/me/passkeys/:id', 'PATCH, DELETE'],
    ['/passkeys/sign-in', 'POST'],
    ['/passkeys/sign-in/options', 'POST'],
    ['/mfa/verify', 'POST'],
    ['/mfa/passkey-options', 'POST'],
    ['/step-up', 'POST'],
    ['/step-up/passkey-options', 'POST'],
    ['/users/:id/factors/reset', 'POST'],
  ]);
  return router;
}

import express, { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { DeviceAuthorizations } from '../../auth/developer-credentials/device-authorizations';
import { DEVICE_CODE_GRANT, pollDeviceCode, type DeviceTokenDeps } from '../../auth/developer-credentials/device-token';
import { exchangePat, PAT_TOKEN_TYPE, type PatExchangeDeps } from '../../auth/developer-credentials/pat-exchange';
import { TOKEN_EXCHANGE_GRANT } from '../../auth/tokens/token-exchange';
import type { Config } from '../../config/config';
import { AppError } from '../../errors/app-error';
import { requireBodyType } from '../middleware/content-type';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import { DeviceAuthorizationRequest } from '../openapi/developer-credentials-schemas';
import type { TokenRequest } from '../openapi/schemas';
import { clientInfo } from './client-info';
import { sendTokenResponse } from './token-response';

type TokenInput = z.output<typeof TokenRequest>;

/** Whether /token should hand this request to developerGrants: the device code grant, or a PAT exchange. */
export function isDeveloperGrant(input: TokenInput): boolean {
  return input.grant_type === DEVICE_CODE_GRANT || (input.grant_type === TOKEN_EXCHANGE_GRANT && input.subject_token_type === PAT_TOKEN_TYPE);
}

/**
 * The token endpoint's developer grants (issue 28): the device code grant (RFC 8628 §3.4) and a
 * personal access token exchanged for an access token (RFC 8693). Neither authenticates a client
 * secret: the CLI is a public client, and the PAT is itself the credential.
 */
export function developerGrants(deviceDeps: DeviceTokenDeps, patDeps: PatExchangeDeps) {
  return async (req: Request, res: Response, input: TokenInput): Promise<void> => {
    const client = clientInfo(req);
    if (input.grant_type === DEVICE_CODE_GRANT) {
      const grant = await pollDeviceCode(deviceDeps, { deviceCode: input.device_code, clientId: input.client_id }, client);
      // The CLI keeps its refresh token itself: in the body whatever REFRESH_TOKEN_COOKIE says.
      sendTokenResponse(res, 200, grant, { cookieMode: false, refreshTokenTtlSeconds: 0 });
      return;
    }
    if (input.grant_type !== TOKEN_EXCHANGE_GRANT) throw new AppError('unsupported_grant_type', 'Not a developer grant.');
    if (input.client_secret !== undefined || req.headers.authorization !== undefined) {
      throw new AppError('invalid_request', 'A personal access token is exchanged without client authentication: send no client_secret or Authorization header.');
    }
    if (input.requested_token_type !== undefined && input.requested_token_type !== 'urn:ietf:params:oauth:token-type:access_token') {
      throw new AppError('invalid_request', 'requested_token_type may only be urn:ietf:params:oauth:token-type:access_token.');
    }
    if (input.resource !== undefined || input.installation_id !== undefined || input.audience !== undefined) {
      throw new AppError('invalid_target', 'A personal access token is exchanged for a token of the Cat House API only: no resource, installation_id or audience.');
    }
    const grant = await exchangePat(patDeps, input.subject_token, input.scope, client);
    res.status(200).set({ 'cache-control': 'no-store', pragma: 'no-cache' }).json({
      access_token: grant.accessToken,
      issued_token_type: grant.issuedTokenType,
      token_type: 'Bearer',
      expires_in: grant.expiresIn,
      scope: grant.scope,
    });
  };
}

/** POST /device_authorization (RFC 8628 §3.1), form-encoded as the RFC says, or JSON. */
export function deviceAuthorizationRoutes(devices: DeviceAuthorizations, config: Config): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: config.http.jsonBodyLimit, parameterLimit: 10 });
  router.post('/device_authorization', form, requireBodyType('application/x-www-form-urlencoded', 'application/json', 'application/*+json'), async (req, res) => {
    const input = parseWith(DeviceAuthorizationRequest, req.body);
    const answer = await devices.start({ clientId: input.client_id, scope: input.scope }, clientInfo(req));
    res.status(200).set({ 'cache-control': 'no-store', pragma: 'no-cache' }).json(answer);
  });
  answerOtherMethods(router, [['/device_authorization', 'POST']]);
  return router;
}

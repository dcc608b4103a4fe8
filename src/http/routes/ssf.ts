import { Router, type Request } from 'express';
import type { DataSource } from 'typeorm';
import { metadataPath, transmitterMetadata } from '../../auth/events/ssf/metadata';
import { pollStream } from '../../auth/events/ssf/poll';
import { changeStream, createStream, deleteStream, readStreams, readStreamStatus, requestVerification, updateStreamStatus, type StreamDeps } from '../../auth/events/ssf/streams';
import { changeSubject } from '../../auth/events/ssf/subjects';
import type { SealingKeys } from '../../auth/events/secrets';
import type { AuthKeys } from '../../auth/tokens/auth-keys';
import { authenticateServiceToken } from '../../auth/tokens/service-tokens';
import type { Config } from '../../config/config';
import { AppError } from '../../errors/app-error';
import { requireBearerToken } from '../middleware/bearer';
import { answerOtherMethods, methodNotAllowed } from '../middleware/method-not-allowed';
import { JWKS_PATH } from './jwks';

export interface SsfRoutesDeps {
  dataSource: DataSource;
  config: Config;
  keys: AuthKeys;
  sealing: SealingKeys;
  apiPrefix: string;
}

/** The scopes of the CAEP interoperability profile: ssf.manage for changes, ssf.read for reads (manage also reads). */
export const SSF_MANAGE_SCOPE = 'ssf.manage';
export const SSF_READ_SCOPE = 'ssf.read';

/** Seconds between two verification requests on one stream. */
const MIN_VERIFICATION_INTERVAL = 10;

/**
 * The Shared Signals transmitter (issue 29, SSF 1.0): its metadata at /.well-known/ssf-configuration
 * and, under API_PREFIX/ssf, stream management for receivers that are our service clients (bearer
 * service tokens with ssf.manage or ssf.read), and the RFC 8936 poll endpoint. Thin: src/auth/events/ssf holds the rules.
 */
export function ssfRoutes({ dataSource, config, keys, sealing, apiPrefix }: SsfRoutesDeps): { wellKnown: Router; api: Router } {
  const origin = new URL(config.events.ssfIssuer).origin;
  const base = `${origin}${apiPrefix}/ssf`;
  const deps: StreamDeps & { subjectIssuer: string } = {
    dataSource,
    policy: config.events,
    sealing,
    issuer: config.events.ssfIssuer,
    pollUrl: (id) => `${base}/poll/${id}`,
    minVerificationInterval: MIN_VERIFICATION_INTERVAL,
    subjectIssuer: config.auth.issuer,
  };
  const receiver = async (req: Request, write: boolean) => {
    const token = requireBearerToken(req);
    const settings = { issuer: config.auth.issuer, audience: config.tokens.serviceAudience };
    try {
      return (await authenticateServiceToken(dataSource, keys.signingKeys, settings, token, write ? SSF_MANAGE_SCOPE : SSF_READ_SCOPE)).clientId;
    } catch (err) {
      // ssf.manage covers reads too.
      if (write || !(err instanceof AppError) || err.code !== 'insufficient_scope') throw err;
      return (await authenticateServiceToken(dataSource, keys.signingKeys, settings, token, SSF_MANAGE_SCOPE)).clientId;
    }
  };
  const body = (req: Request): Record<string, unknown> => {
    if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      throw new AppError('invalid_request', 'The request body must be a JSON object.');
    }
    return req.body as Record<string, unknown>;
  };
  const streamIdOf = (req: Request) => (typeof req.query.stream_id === 'string' ? req.query.stream_id : undefined);

  const wellKnown = Router();
  const metadata = transmitterMetadata({
    issuer: config.events.ssfIssuer,
    jwksUri: `${origin}${JWKS_PATH}`,
    configuration: `${base}/stream`,
    status: `${base}/status`,
    addSubject: `${base}/subjects:add`,
    removeSubject: `${base}/subjects:remove`,
    verification: `${base}/verify`,
  });
  wellKnown.get(metadataPath(config.events.ssfIssuer), (_req, res) => {
    res.set('cache-control', 'public, max-age=300').json(metadata);
  });

  const api = Router();
  api.post('/ssf/stream', async (req, res) => {
    const clientId = await receiver(req, true);
    res.status(201).set('cache-control', 'no-store').json(await createStream(deps, clientId, body(req)));
  });
  api.get('/ssf/stream', async (req, res) => {
    const clientId = await receiver(req, false);
    res.set('cache-control', 'no-store').json(await readStreams(deps, clientId, streamIdOf(req)));
  });
  api.patch('/ssf/stream', async (req, res) => {
    const clientId = await receiver(req, true);
    res.set('cache-control', 'no-store').json(await changeStream(deps, clientId, body(req), 'update'));
  });
  api.put('/ssf/stream', async (req, res) => {
    const clientId = await receiver(req, true);
    res.set('cache-control', 'no-store').json(await changeStream(deps, clientId, body(req), 'replace'));
  });
  api.delete('/ssf/stream', async (req, res) => {
    const clientId = await receiver(req, true);
    await deleteStream(deps, clientId, streamIdOf(req));
    res.status(204).set('cache-control', 'no-store').end();
  });
  api.get('/ssf/status', async (req, res) => {
    const clientId = await receiver(req, false);
    res.set('cache-control', 'no-store').json(await readStreamStatus(deps, clientId, streamIdOf(req)));
  });
  api.post('/ssf/status', async (req, res) => {
    const clientId = await receiver(req, true);
    res.set('cache-control', 'no-store').json(await updateStreamStatus(deps, clientId, body(req)));
  });
  api.post('/ssf/verify', async (req, res) => {
    const clientId = await receiver(req, true);
    await requestVerification(deps, clientId, body(req));
    res.status(204).set('cache-control', 'no-store').end();
  });
  api.post('/ssf/poll/:streamId', async (req, res) => {
    const clientId = await receiver(req, true);
    // A long poll ends early when the receiver goes away.
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    const pollDeps = { ...deps, signingKeys: keys.signingKeys, maxWaitMs: config.events.ssfPollMaxWaitMs, pollIntervalMs: Math.min(250, config.events.pollIntervalMs) };
    res.set('cache-control', 'no-store').json(await pollStream(pollDeps, clientId, String(req.params.streamId), body(req), abort.signal));
  });
  // subjects:add and subjects:remove (SSF 1.0's names; a colon is a parameter in Express paths).
  api.post('/ssf/:operation', async (req, res, next) => {
    const operation = req.params.operation;
    if (operation !== 'subjects:add' && operation !== 'subjects:remove') return next();
    const clientId = await receiver(req, true);
    const input = body(req);
    await changeSubject(deps, clientId, input, operation === 'subjects:add');
    res.status(operation === 'subjects:add' ? 200 : 204).set('cache-control', 'no-store').end();
  });
  api.all('/ssf/:operation', (req, _res, next) => {
    const operation = req.params.operation;
    if (operation === 'subjects:add' || operation === 'subjects:remove') return methodNotAllowed('POST')(req, _res, next);
    next();
  });
  answerOtherMethods(api, [
    ['/ssf/stream', 'GET, POST, PATCH, PUT, DELETE'],
    ['/ssf/status', 'GET, POST'],
    ['/ssf/verify', 'POST'],
    ['/ssf/poll/:streamId', 'POST'],
  ]);
  return { wellKnown, api };
}

import { timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import { AppError } from '../../errors/app-error';
import type { ServiceMetrics } from '../metrics';

export const METRICS_PATH = '/metrics';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Who may scrape: a caller presenting `Authorization: Bearer METRICS_TOKEN`, or one on this host
 * that came through no proxy (the same rule as /ready's detail in health.ts: the socket's own peer,
 * not req.ip, so a proxy on the same host does not make everyone internal).
 */
function mayScrape(req: Request, token: string | undefined): boolean {
  const header = req.get('authorization');
  if (token !== undefined && header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const a = Buffer.from(match?.[1] ?? '');
    const b = Buffer.from(token);
    if (a.length === b.length && timingSafeEqual(a, b)) return true;
  }
  const peer = req.socket.remoteAddress ?? '';
  return LOOPBACK.test(peer) && req.get('x-forwarded-for') === undefined && req.get('forwarded') === undefined;
}

/**
 * GET /metrics in the Prometheus text format, outside the public API prefix. Anyone else gets the
 * same 404 as an unknown path: the endpoint does not advertise itself.
 */
export function metricsRoutes(metrics: ServiceMetrics, { token }: { token: string | undefined }): Router {
  const router = Router();
  router.get(METRICS_PATH, async (req, res) => {
    if (!mayScrape(req, token)) throw new AppError('not_found', `No route for GET ${METRICS_PATH}.`);
    res.set('content-type', metrics.registry.contentType).set('cache-control', 'no-store').send(await metrics.registry.metrics());
  });
  return router;
}

import { Router, type Request } from 'express';
import type { DataSource } from 'typeorm';
import type { AuthService } from '../../auth/auth-service';
import { listDeliveries } from '../../auth/events/outbox';
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, replayWebhook, rotateWebhookSecret, updateWebhook, type WebhookDeps } from '../../auth/events/webhooks';
import { requireBearerToken } from '../middleware/bearer';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import { CreateWebhookRequest, DeliveriesQuery, ReplayRequest, RotateWebhookSecretRequest, UpdateWebhookRequest, WebhookIdParams } from '../openapi/events-schemas';

export interface WebhookRoutesDeps {
  service: AuthService;
  dataSource: DataSource;
  webhooks: WebhookDeps;
  /** EVENTS_SECRET_ROTATION_GRACE_SECONDS */
  rotationGraceSeconds: number;
}

/** Admin API for webhook subscriptions (issue 29), under /api/v1/auth/admin/webhooks. Admins only. */
export function webhookRoutes({ service, dataSource, webhooks, rotationGraceSeconds }: WebhookRoutesDeps): Router {
  const router = Router();
  const admin = async (req: Request) => service.assertAdmin(await service.authenticate(requireBearerToken(req)));
  const idOf = (req: Request) => parseWith(WebhookIdParams, { id: req.params.id }, 'path').id;
  const noStore = { 'cache-control': 'no-store' };

  router.get('/admin/webhooks', async (req, res) => {
    await admin(req);
    res.set(noStore).json({ webhooks: await listWebhooks(dataSource) });
  });
  router.post('/admin/webhooks', async (req, res) => {
    await admin(req);
    const input = parseWith(CreateWebhookRequest, req.body);
    const { webhook, secret } = await createWebhook(dataSource, webhooks, { url: input.url, eventTypes: input.event_types, description: input.description });
    res.status(201).set(noStore).json({ ...webhook, secret });
  });
  router.get('/admin/webhooks/:id', async (req, res) => {
    await admin(req);
    res.set(noStore).json(await getWebhook(dataSource, idOf(req)));
  });
  router.patch('/admin/webhooks/:id', async (req, res) => {
    await admin(req);
    const id = idOf(req);
    const input = parseWith(UpdateWebhookRequest, req.body);
    res.set(noStore).json(await updateWebhook(dataSource, webhooks, id, { url: input.url, eventTypes: input.event_types, description: input.description, status: input.status }));
  });
  router.delete('/admin/webhooks/:id', async (req, res) => {
    await admin(req);
    await deleteWebhook(dataSource, idOf(req));
    res.status(204).end();
  });
  router.post('/admin/webhooks/:id/rotate-secret', async (req, res) => {
    await admin(req);
    const id = idOf(req);
    const input = parseWith(RotateWebhookSecretRequest, req.body ?? {});
    const { webhook, secret } = await rotateWebhookSecret(dataSource, webhooks, id, input.grace_seconds ?? rotationGraceSeconds);
    res.set(noStore).json({ ...webhook, secret });
  });
  router.post('/admin/webhooks/:id/replay', async (req, res) => {
    await admin(req);
    const id = idOf(req);
    const input = parseWith(ReplayRequest, req.body);
    res.set(noStore).json({ replayed: await replayWebhook(dataSource, id, new Date(input.from), new Date(input.to)) });
  });
  router.get('/admin/webhooks/:id/deliveries', async (req, res) => {
    await admin(req);
    const id = idOf(req);
    const q = parseWith(DeliveriesQuery, { ...req.query }, 'query');
    await getWebhook(dataSource, id);
    res.set(noStore).json({ deliveries: await listDeliveries(dataSource, id, q) });
  });
  answerOtherMethods(router, [
    ['/admin/webhooks', 'GET, POST'],
    ['/admin/webhooks/:id', 'GET, PATCH, DELETE'],
    ['/admin/webhooks/:id/rotate-secret', 'POST'],
    ['/admin/webhooks/:id/replay', 'POST'],
    ['/admin/webhooks/:id/deliveries', 'GET'],
  ]);
  return router;
}

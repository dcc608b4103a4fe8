import type { Request } from 'express';
import type { ClientInfo } from '../../auth/sessions/sessions';

/** The caller's address (after TRUST_PROXY) and user agent, for sessions and audit events. */
export function clientInfo(req: Request): ClientInfo & { ip: string } {
  return { ip: req.ip ?? req.socket.remoteAddress ?? 'unknown', userAgent: req.get('user-agent') };
}

import type { Request } from 'express';
import { invalidToken } from '../../auth/tokens/access-tokens';

/** The token of an `Authorization: Bearer` header (RFC 6750 §2.1), undefined when there is none. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) throw invalidToken('The Authorization header must be "Bearer <access token>".');
  return match[1];
}

export function requireBearerToken(req: Request): string {
  const token = bearerToken(req);
  if (token === undefined) throw invalidToken('An access token is required (Authorization: Bearer <token>).');
  return token;
}

import type { CookieOptions, Request, Response } from 'express';
import type { TokenGrant } from '../../auth/principal';
import { AppError } from '../../errors/app-error';

/** `__Host-`: the browser only accepts it Secure, from this host, with Path=/ and no Domain (RFC 6265bis §4.1.3.2). */
export const REFRESH_COOKIE = '__Host-refresh_token';

export interface RefreshTransport {
  /** true: refresh tokens travel in the HttpOnly cookie (REFRESH_TOKEN_COOKIE), not in bodies. */
  cookieMode: boolean;
  refreshTokenTtlSeconds: number;
}

function cookieOptions(transport: RefreshTransport): CookieOptions {
  return {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/',
    maxAge: transport.refreshTokenTtlSeconds * 1000,
  };
}

/** RFC 6749 §5.1 token response, never cached; in cookie mode the refresh token goes into the cookie. */
export function sendTokenResponse(
  res: Response,
  status: number,
  grant: TokenGrant,
  transport: RefreshTransport,
  extra: Record<string, unknown> = {},
): void {
  const body: Record<string, unknown> = {
    access_token: grant.accessToken,
    token_type: 'Bearer',
    expires_in: grant.expiresIn,
  };
  if (transport.cookieMode) res.cookie(REFRESH_COOKIE, grant.refreshToken, cookieOptions(transport));
  else body.refresh_token = grant.refreshToken;
  res.status(status).set({ 'cache-control': 'no-store', pragma: 'no-cache' }).json({ ...body, ...extra });
}

export function clearRefreshCookie(res: Response, transport: RefreshTransport): void {
  if (!transport.cookieMode) return;
  const { maxAge: _maxAge, ...options } = cookieOptions(transport);
  res.clearCookie(REFRESH_COOKIE, options);
}

/** The refresh token from the body, or in cookie mode from the cookie when the body has none. */
export function presentedRefreshToken(req: Request, fromBody: string | undefined, transport: RefreshTransport): string {
  if (fromBody !== undefined) return fromBody;
  const fromCookie = transport.cookieMode ? (req.cookies as Record<string, unknown> | undefined)?.[REFRESH_COOKIE] : undefined;
  if (typeof fromCookie === 'string' && fromCookie !== '') return fromCookie;
  throw new AppError(
    'invalid_request',
    transport.cookieMode
      ? `The request body is invalid: refresh_token: required (or the ${REFRESH_COOKIE} cookie).`
      : 'The request body is invalid: refresh_token: required.',
    { fields: { invalid_params: [{ name: 'refresh_token', reason: 'required' }] } },
  );
}

/** The cookie, if cookie mode is on and it was sent (logout uses it when no other credential is given). */
export function refreshCookie(req: Request, transport: RefreshTransport): string | undefined {
  if (!transport.cookieMode) return undefined;
  const value = (req.cookies as Record<string, unknown> | undefined)?.[REFRESH_COOKIE];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

import { Router, type Request, type RequestHandler } from 'express';
import type { AccountClient, AccountService } from '../../auth/accounts/account-service';
import type { AuthService } from '../../auth/auth-service';
import type { CaptchaVerifier } from '../../auth/abuse/captcha';
import { setUserLocale } from '../../auth/accounts/user-locale';
import type { DataSource } from 'typeorm';
import { requireBearerToken } from '../middleware/bearer';
import { requireBodyType } from '../middleware/content-type';
import { authenticateRequest } from '../middleware/request-principal';
import { answerOtherMethods } from '../middleware/method-not-allowed';
import { parseWith } from '../middleware/validate';
import {
  ChangeEmailRequest,
  ChangePasswordRequest,
  DeleteMeRequest,
  ForgotPasswordRequest,
  ResetPasswordRequest,
  UpdateMeRequest,
  VerifyEmailRequest,
} from '../openapi/schemas';

export interface AccountRoutesDeps {
  service: AuthService;
  account: AccountService;
  /** Forgot-password's CAPTCHA when configured (issue 30). */
  captcha: CaptchaVerifier;
  /** For the user's locale (issue 30, accounts/user-locale.ts). */
  dataSource: DataSource;
}

const client = (req: Request): AccountClient => ({ ip: req.ip ?? req.socket.remoteAddress ?? 'unknown', userAgent: req.get('user-agent') });

/** The one body of every 202 that must not tell whether an account exists. */
export const FORGOT_PASSWORD_ACCEPTED = {
  status: 'accepted',
  detail: 'If an account uses this address, a mail with a link to choose a new password is on its way.',
} as const;

/**
 * The account lifecycle endpoints under /api/v1/auth (issue 10): verification, password reset
 * and change, email change, profile, the developer role and deletion. Mounted before authRoutes,
 * which answers GET /me and the 405s of its own paths.
 */
export function accountRoutes({ service, account, captcha, dataSource }: AccountRoutesDeps): Router {
  const router = Router();
  const json = requireBodyType('application/json', 'application/*+json');
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('cache-control', 'no-store');
    next();
  };

  router.post('/verify-email', noStore, json, async (req, res) => {
    const { token } = parseWith(VerifyEmailRequest, req.body);
    res.json(await account.verifyEmail(token, client(req)));
  });

  router.post('/verify-email/resend', noStore, async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    await account.resendVerification(principal, client(req));
    res.status(202).json({ status: 'accepted', detail: `A new verification mail is on its way to ${principal.user.email}; earlier links no longer work.` });
  });

  router.post('/password/forgot', noStore, json, async (req, res) => {
    const { email, captcha_token: captchaToken } = parseWith(ForgotPasswordRequest, req.body);
    await captcha.verify(captchaToken, 'forgot_password', client(req).ip);
    await account.forgotPassword(email, client(req));
    res.status(202).json(FORGOT_PASSWORD_ACCEPTED);
  });

  router.post('/password/reset', noStore, json, async (req, res) => {
    const input = parseWith(ResetPasswordRequest, req.body);
    await account.resetPassword(input.token, input.password, client(req));
    res.status(204).end();
  });

  router.post('/password/change', noStore, json, async (req, res) => {
    const principal = await authenticateRequest(req, service);
    const input = parseWith(ChangePasswordRequest, req.body);
    await account.changePassword(principal, input.current_password, input.new_password, client(req));
    res.status(204).end();
  });

  router.post('/email/change', noStore, json, async (req, res) => {
    const principal = await authenticateRequest(req, service);
    const input = parseWith(ChangeEmailRequest, req.body);
    await account.requestEmailChange(principal, input.new_email, input.password, client(req));
    res.status(202).json({ status: 'accepted', detail: `A confirmation link is on its way to ${input.new_email}; the address changes when it is used.` });
  });

  router.patch('/me', noStore, json, async (req, res) => {
    const principal = await service.authenticate(requireBearerToken(req));
    const { locale, ...profile } = parseWith(UpdateMeRequest, req.body);
    const user = await account.updateProfile(principal, profile);
    res.json({ ...user, locale: await setUserLocale(dataSource, principal.userId, locale) });
  });

  router.delete('/me', noStore, json, async (req, res) => {
    const principal = await authenticateRequest(req, service);
    const { password } = parseWith(DeleteMeRequest, req.body);
    await account.deleteAccount(principal, password, client(req));
    res.status(204).end();
  });

  router.post('/me/developer', noStore, async (req, res) => {
    const principal = await authenticateRequest(req, service);
    const token = await account.becomeDeveloper(principal, client(req));
    res.set('pragma', 'no-cache').json({ access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn });
  });

  answerOtherMethods(
    router,
    ['/verify-email', '/verify-email/resend', '/password/forgot', '/password/reset', '/password/change', '/email/change', '/me/developer'].map(
      (path) => [path, 'POST'] as const,
    ),
  );
  return router;
}

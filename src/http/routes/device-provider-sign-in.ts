import type { Request, Response, Router } from 'express';
import type { PendingDevice } from '../../auth/developer-credentials/device-authorizations';
import type { DevicePageState } from '../../auth/developer-credentials/page-state';
import type { DevicePageModel } from '../../auth/developer-credentials/pages/device-page';
import { pageError, type PageError } from '../../auth/oidc/pages/page-words';
import type { ProviderButtonsModel } from '../../auth/oidc/pages/provider-buttons';
import { providerRefusal, type ProviderRedirects } from '../../auth/oidc/sign-in/provider-redirect';
import type { SignInResult } from '../../auth/oidc/sign-in/sign-in-method';
import { isAppError } from '../../errors/app-error';
import { clientInfo } from './client-info';
import { sendToProvider } from './federation-redirect';

type Handler = (req: Request, res: Response, state: DevicePageState) => Promise<void>;

/** What the /device page's routes (device-pages.ts) lend these two routes. */
export interface DevicePageParts {
  guarded(handler: Handler): (req: Request, res: Response) => Promise<void>;
  csrfOk(req: Request, res: Response, state: DevicePageState, form: string): boolean;
  pendingOr(req: Request, res: Response, state: DevicePageState, typed: unknown): Promise<PendingDevice | undefined>;
  send(res: Response, status: number, model: DevicePageModel, error?: PageError): void;
  codeStep(state: DevicePageState): DevicePageModel;
  signInStep(req: Request, state: DevicePageState, device: PendingDevice): Promise<DevicePageModel>;
  /** After the sign-in: the next step's page (the second factor), or the finished sign-in. */
  continueSignIn(req: Request, res: Response, state: DevicePageState, device: PendingDevice, result: SignInResult): Promise<void>;
}

/** The sign-in step's "Continue with <provider>" forms; `token` makes a form's CSRF token for this browser. */
export function deviceProviderButtons(redirects: ProviderRedirects | undefined, token: (form: string) => string, userCode: string): ProviderButtonsModel | undefined {
  if (!redirects) return undefined;
  const csrf: Record<string, string> = {};
  for (const p of redirects.providers) csrf[p.id] = token(`federated:${p.id}`);
  return { providers: redirects.providers, csrf, action: (id) => `/device/federated/${id}`, hidden: { user_code: userCode } };
}

/**
 * Issue 25's web redirect sign-in on /device: POST `federated/:provider` starts the existing flow
 * for this browser's page (its cookie nonce, and the code typed), the callback comes back to
 * GET `federated` with a one-time code bound to that nonce, and the sign-in goes on as after a
 * password: the second factor when the account has one, then Allow or Deny.
 */
export function deviceProviderRoutes(router: Router, redirects: ProviderRedirects, parts: DevicePageParts): void {
  router.post('/federated/:provider', parts.guarded(async (req, res, state) => {
    const id = String(req.params.provider);
    if (!redirects.providers.some((p) => p.id === id)) {
      parts.send(res, 404, parts.codeStep(state), pageError('not_found', 'error.no_such_method'));
      return;
    }
    if (!parts.csrfOk(req, res, state, `federated:${id}`)) return;
    const device = await parts.pendingOr(req, res, state, (req.body as Record<string, unknown>).user_code);
    if (!device) return;
    try {
      sendToProvider(res, await redirects.start(id, { kind: 'device', nonce: state.n, userCode: device.userCode }), 303);
    } catch (err) {
      if (!isAppError(err)) throw err;
      parts.send(res, err.status, await parts.signInStep(req, state, device), { code: err.code, message: err.detail });
    }
  }));

  router.get('/federated', parts.guarded(async (req, res, state) => {
    const device = await parts.pendingOr(req, res, state, req.query.user_code);
    if (!device) return;
    const { code, error } = req.query;
    if (typeof error === 'string' || typeof code !== 'string' || code === '') {
      parts.send(res, 400, await parts.signInStep(req, state, device), providerRefusal(typeof error === 'string' ? error : 'invalid_request'));
      return;
    }
    let result: SignInResult;
    try {
      result = await redirects.complete(code, { kind: 'device', nonce: state.n, userCode: device.userCode }, clientInfo(req));
    } catch (err) {
      if (!isAppError(err)) throw err;
      parts.send(res, err.status, await parts.signInStep(req, state, device), { code: err.code, message: err.detail });
      return;
    }
    await parts.continueSignIn(req, res, state, device, result);
  }));
}

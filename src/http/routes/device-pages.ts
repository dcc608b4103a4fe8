// Over 250 lines on purpose: the /device page's routes share one page state (its signed cookie), its CSRF check and
// its step rendering; the sign-in methods and their steps live in auth/oidc/sign-in and auth/developer-credentials.
import cookieParser from 'cookie-parser';
import express, { Router, type Request, type Response } from 'express';
import type { DataSource } from 'typeorm';
import type { DeviceAuthorizations, PendingDevice, UserCodeProblem } from '../../auth/developer-credentials/device-authorizations';
import { devicePage, devicePageOrigins, type DevicePageModel } from '../../auth/developer-credentials/pages/device-page';
import {
  currentSignIn,
  decodePageState,
  DEVICE_COOKIE,
  DEVICE_SIGN_IN_MAX_AGE_SECONDS,
  encodePageState,
  newPageState,
  signedInState,
  waitingChallenge,
  waitingState,
  type DevicePageState,
} from '../../auth/developer-credentials/page-state';
import { formToken, formTokenValid } from '../../auth/oidc/form-tokens';
import { pageCsp } from '../../auth/oidc/pages/layout';
import { pageError, type PageError } from '../../auth/oidc/pages/page-words';
import { ceremoniesFor, pendingStep, widgetsFor, type SignInMethod, type SignInRecorder, type SignInResult, type SignInStep } from '../../auth/oidc/sign-in/sign-in-method';
import { sql } from '../../auth/sql';
import { isAppError } from '../../errors/app-error';
import { pageWordsFor, setPageLanguage } from '../../auth/oidc/pages/page-language';
import { clientInfo } from './client-info';
import { deviceProviderButtons, deviceProviderRoutes } from './device-provider-sign-in';
import type { ProviderRedirects } from '../../auth/oidc/sign-in/provider-redirect';

export interface DevicePageRoutesDeps {
  devices: DeviceAuthorizations;
  dataSource: DataSource;
  /** Keys of the page's cookie and CSRF tokens (page-state.ts devicePageKeys). */
  keys: readonly Buffer[];
  methods: readonly SignInMethod[];
  /** The login page's steps after a method (issue 26's MFA challenge): asked here the same way. */
  steps?: readonly SignInStep[];
  /** Records a finished sign-in (login_succeeded): after the method and its steps, never after the password alone. */
  signedIn: SignInRecorder;
  /** "Continue with <provider>" (issue 25's web redirect sign-in), when providers are configured. */
  redirects?: ProviderRedirects | undefined;
}

const problem = (code: UserCodeProblem) => pageError(code, `error.${code}`);
const CSRF_FAILED = pageError('csrf_failed', 'error.csrf_failed');
const SIGN_IN_AGAIN = pageError('invalid_mfa_token', 'error.device_sign_in_again');

/**
 * The device verification page at /device (RFC 8628 §3.3): enter the code, sign in with any of the
 * login page's methods or its "Continue with <provider>" (device-provider-sign-in.ts), answer its steps (the second factor of an account that has one), see which
 * device asks, approve or deny. Each POST checks its form's CSRF token (an HMAC over the nonce in
 * the page's signed cookie), so a form posted from another site or another browser is refused; a
 * wrong code counts against the address (device-authorizations.ts), a wrong second factor against
 * its MFA token and the account (the factor throttles, as on the login page).
 */
export function devicePageRoutes({ devices, dataSource, keys, methods, steps = [], signedIn, redirects }: DevicePageRoutesDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }), cookieParser());

  const stateOf = (req: Request): DevicePageState | undefined => decodePageState(keys, (req.cookies as Record<string, string | undefined>)[DEVICE_COOKIE]);
  const saveState = (req: Request, res: Response, state: DevicePageState) => {
    res.cookie(DEVICE_COOKIE, encodePageState(keys, state), {
      httpOnly: true,
      secure: req.secure,
      sameSite: 'lax',
      path: '/device',
      maxAge: DEVICE_SIGN_IN_MAX_AGE_SECONDS * 1000,
    });
  };
  const send = (res: Response, status: number, model: DevicePageModel, error?: PageError) => {
    // A sign-in page that shows a CAPTCHA widget or a passkey's button lets their scripts in; every other page allows no script.
    const csp = pageCsp(...devicePageOrigins(model));
    const words = pageWordsFor(res.req);
    setPageLanguage(res, words);
    res.status(status).set({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp, 'cache-control': 'no-store' }).send(devicePage(model, error, words));
  };
  const token = (state: DevicePageState, form: string) => formToken(keys, state.n, form);

  const codeStep = (state: DevicePageState, userCode?: string): DevicePageModel => ({ step: 'code', userCode, csrf: { code: token(state, 'code') } });
  /** The sign-in forms; a method that needs a CAPTCHA for this client now (humanCheck, issue 30) carries its widget. */
  const signInStep = async (req: Request, state: DevicePageState, device: PendingDevice, email?: string): Promise<DevicePageModel> => {
    const csrf: Record<string, string> = {};
    for (const m of methods) csrf[m.id] = token(state, `sign-in:${m.id}`);
    const ceremonies = await ceremoniesFor(methods, `device:${state.n}`, pageWordsFor(req));
    const providers = deviceProviderButtons(redirects, (form) => token(state, form), device.userCode);
    return { step: 'sign-in', device, methods, csrf, email, widgets: await widgetsFor(methods, { email }, clientInfo(req)), ceremonies, providers };
  };
  const secondFactorStep = async (req: Request, state: DevicePageState, device: PendingDevice, step: SignInStep, challenge: string): Promise<DevicePageModel> => ({
    step: 'second-factor',
    device,
    signInStep: step,
    csrf: { step: token(state, `step:${step.id}`), signOut: token(state, 'sign-out') },
    ceremony: await step.ceremony?.(challenge, pageWordsFor(req)),
  });
  const confirmStep = async (state: DevicePageState, device: PendingDevice, userId: string): Promise<DevicePageModel | undefined> => {
    const { rows } = await sql<{ email: string }>(dataSource, `SELECT email FROM auth.users WHERE id = $1 AND is_active`, [userId]);
    if (!rows[0]) return undefined;
    return { step: 'confirm', device, who: rows[0].email, csrf: { decision: token(state, 'decision'), signOut: token(state, 'sign-out') } };
  };

  /** The pending device of the posted code, or the code page again with the problem in words. */
  const pendingOr = async (req: Request, res: Response, state: DevicePageState, typed: unknown): Promise<PendingDevice | undefined> => {
    const found = await devices.findPending(typeof typed === 'string' ? typed : '', clientInfo(req).ip);
    if ('device' in found) return found.device;
    send(res, 400, codeStep(state, typeof typed === 'string' ? typed : undefined), problem(found.problem));
    return undefined;
  };

  /** The next step for a found device: confirm when signed in on this page recently, else sign in. */
  const nextStep = async (req: Request, res: Response, state: DevicePageState, device: PendingDevice, status = 200, error?: PageError) => {
    const who = currentSignIn(state);
    const confirm = who ? await confirmStep(state, device, who.userId) : undefined;
    send(res, status, confirm ?? (await signInStep(req, state, device)), error);
  };

  /** A finished sign-in (the method and every step it needed): recorded, remembered with its methods, then Allow or Deny. */
  const finishSignIn = async (req: Request, res: Response, state: DevicePageState, device: PendingDevice, result: SignInResult) => {
    await signedIn(result, clientInfo(req));
    const next = signedInState(state, result.userId, result.methods);
    saveState(req, res, next);
    await nextStep(req, res, next, device);
  };

  /**
   * After a method (password, passkey, provider): the step's page, or the finished sign-in. While a
   * step waits nobody is signed in yet: its challenge waits in this browser's signed cookie (never in
   * a form, so it cannot be posted from another browser).
   */
  const continueSignIn = async (req: Request, res: Response, state: DevicePageState, device: PendingDevice, result: SignInResult) => {
    const next = await pendingStep(steps, result);
    if (!next) return finishSignIn(req, res, state, device, result);
    const waiting = waitingState(state, next.step.id, next.challenge);
    saveState(req, res, waiting);
    send(res, 200, await secondFactorStep(req, waiting, device, next.step, next.challenge));
  };

  /** Rate limits and other AppErrors of a step show on the code page with their code. */
  const guarded = (handler: (req: Request, res: Response, state: DevicePageState) => Promise<void>) => async (req: Request, res: Response) => {
    let state = stateOf(req);
    if (!state) {
      state = newPageState();
      saveState(req, res, state);
    }
    try {
      await handler(req, res, state);
    } catch (err) {
      if (!isAppError(err)) throw err;
      for (const [name, value] of Object.entries(err.extra.headers ?? {})) res.set(name, value);
      send(res, err.status, codeStep(state), { code: err.code, message: err.detail });
    }
  };

  /** A POST whose form token does not match this browser's nonce: the code page again (a new nonce if it had none). */
  const csrfOk = (req: Request, res: Response, state: DevicePageState, form: string): boolean => {
    if (formTokenValid(keys, state.n, form, (req.body as Record<string, unknown> | undefined)?.csrf)) return true;
    send(res, 403, codeStep(state), CSRF_FAILED);
    return false;
  };

  router.get('/', guarded(async (req, res, state) => {
    const typed = typeof req.query.user_code === 'string' ? req.query.user_code.slice(0, 20) : undefined;
    send(res, 200, codeStep(state, typed));
  }));

  router.post('/', guarded(async (req, res, state) => {
    if (!csrfOk(req, res, state, 'code')) return;
    const device = await pendingOr(req, res, state, (req.body as Record<string, unknown>).user_code);
    if (device) await nextStep(req, res, state, device);
  }));

  router.post('/sign-in/:method', guarded(async (req, res, state) => {
    const method = methods.find((m) => m.id === req.params.method);
    if (!method || !csrfOk(req, res, state, `sign-in:${method.id}`)) {
      if (!method) send(res, 404, codeStep(state), pageError('not_found', 'error.no_such_method'));
      return;
    }
    const form = req.body as Record<string, string | undefined>;
    const device = await pendingOr(req, res, state, form.user_code);
    if (!device) return;
    let result: SignInResult;
    try {
      result = await method.signIn(form, clientInfo(req), `device:${state.n}`);
    } catch (err) {
      if (!isAppError(err)) throw err;
      for (const [name, value] of Object.entries(err.extra.headers ?? {})) res.set(name, value);
      send(res, err.status, await signInStep(req, state, device, form.email), { code: err.code, message: err.detail });
      return;
    }
    await continueSignIn(req, res, state, device, result);
  }));

  router.post('/step/:step', guarded(async (req, res, state) => {
    const step = steps.find((s) => s.id === req.params.step);
    if (!step || !csrfOk(req, res, state, `step:${step.id}`)) {
      if (!step) send(res, 404, codeStep(state), pageError('not_found', 'error.no_such_step'));
      return;
    }
    const form = req.body as Record<string, string | undefined>;
    const device = await pendingOr(req, res, state, form.user_code);
    if (!device) return;
    const challenge = waitingChallenge(state, step.id);
    const signedOut: DevicePageState = { n: state.n };
    if (!challenge) {
      saveState(req, res, signedOut);
      send(res, 400, await signInStep(req, signedOut, device), SIGN_IN_AGAIN);
      return;
    }
    let result: SignInResult;
    try {
      result = await step.complete(challenge, form, clientInfo(req), 'device');
    } catch (err) {
      if (!isAppError(err)) throw err;
      for (const [name, value] of Object.entries(err.extra.headers ?? {})) res.set(name, value);
      // A dead challenge (expired, spent, too many wrong answers): back to the sign-in, as the login page does.
      if (err.code === 'invalid_mfa_token') {
        saveState(req, res, signedOut);
        send(res, err.status, await signInStep(req, signedOut, device), { code: err.code, message: err.detail });
      } else {
        send(res, err.status, await secondFactorStep(req, state, device, step, challenge), { code: err.code, message: err.detail });
      }
      return;
    }
    await finishSignIn(req, res, state, device, result);
  }));

  if (redirects) deviceProviderRoutes(router, redirects, { guarded, csrfOk, pendingOr, send, codeStep, signInStep, continueSignIn });

  router.post('/decision', guarded(async (req, res, state) => {
    if (!csrfOk(req, res, state, 'decision')) return;
    const form = req.body as Record<string, string | undefined>;
    const device = await pendingOr(req, res, state, form.user_code);
    if (!device) return;
    const who = currentSignIn(state);
    if (!who) {
      send(res, 401, await signInStep(req, state, device), pageError('reauthentication_required', 'error.reauthentication_required'));
      return;
    }
    const decision = form.decision === 'approve' ? 'approve' : form.decision === 'deny' ? 'deny' : undefined;
    if (!decision) {
      await nextStep(req, res, state, device, 400, pageError('invalid_request', 'error.choose_decision'));
      return;
    }
    const outcome = await devices.decide(device.id, who.userId, decision, { methods: who.methods, at: who.at }, clientInfo(req));
    if (outcome === 'signed_out') {
      const signedOut: DevicePageState = { n: state.n };
      saveState(req, res, signedOut);
      send(res, 401, await signInStep(req, signedOut, device), pageError('reauthentication_required', 'error.reauthentication_required'));
      return;
    }
    if (outcome === 'not_pending') {
      send(res, 400, codeStep(state), problem('user_code_used'));
      return;
    }
    send(res, 200, { step: 'done', decision });
  }));

  router.post('/sign-out', guarded(async (req, res, state) => {
    if (!csrfOk(req, res, state, 'sign-out')) return;
    const fresh: DevicePageState = { n: state.n };
    saveState(req, res, fresh);
    const device = await pendingOr(req, res, fresh, (req.body as Record<string, unknown>).user_code);
    if (device) send(res, 200, await signInStep(req, fresh, device));
  }));

  return router;
}

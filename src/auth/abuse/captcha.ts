import type { AbuseSettings, CaptchaAction } from '../../config/abuse-settings';
import { AppError } from '../../errors/app-error';
import type { AbuseObserver } from './abuse-observer';

export interface CaptchaVerifier {
  /** Whether this action asks for a CAPTCHA at all (a provider is configured and the action is in CAPTCHA_REQUIRED_FOR). */
  requiredFor(action: CaptchaAction): boolean;
  /**
   * Verifies a widget's token for `action` with the provider's siteverify, once: resolves when it
   * passed; throws AppError captcha_required (no token), captcha_failed (the provider refused it,
   * or it was solved for another action or hostname) or captcha_unavailable (the provider did not
   * answer and CAPTCHA_ON_ERROR is fail-closed). Never throws anything else.
   */
  verify(token: string | undefined, action: CaptchaAction, remoteIp: string): Promise<void>;
}

/** What Turnstile's and hCaptcha's siteverify answer (the fields both share, and Turnstile's action). */
interface SiteverifyAnswer {
  success?: unknown;
  hostname?: unknown;
  action?: unknown;
  'error-codes'?: unknown;
}

export interface CaptchaLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/**
 * Server-side CAPTCHA verification for Cloudflare Turnstile
 * (https://developers.cloudflare.com/turnstile/get-started/server-side-validation/) and hCaptcha
 * (https://docs.hcaptcha.com/#verify-the-user-response-server-side): the token goes with the
 * secret and the client's address to CAPTCHA_VERIFY_URL as a form POST. Both providers accept a
 * token once (a replay answers `timeout-or-duplicate` / `already-seen-response`), so it is sent
 * to siteverify exactly once here and never retried. Beyond `success`, the answer's `hostname`
 * must be one of CAPTCHA_HOSTNAMES (when set), and Turnstile's `action` must be the one the widget
 * was rendered for on this form (a token solved on the login form does not pass at registration).
 */
export function createCaptchaVerifier({ settings, observer = {}, logger }: { settings: AbuseSettings['captcha']; observer?: AbuseObserver; logger?: CaptchaLog }): CaptchaVerifier {
  const required = new Set(settings.provider === 'none' ? [] : settings.requiredFor);
  const hostnames = new Set(settings.hostnames.map((h) => h.toLowerCase()));

  const fail = (action: CaptchaAction, reason: 'missing' | 'rejected' | 'unavailable', error: AppError): never => {
    observer.captchaFailed?.(action, reason);
    if (action === 'register') observer.registrationBlocked?.('captcha');
    throw error;
  };

  async function siteverify(token: string, remoteIp: string): Promise<SiteverifyAnswer> {
    const body = new URLSearchParams({ secret: settings.secret!, response: token, remoteip: remoteIp });
    const res = await fetch(settings.verifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    if (!res.ok) throw new Error(`siteverify answered ${res.status}`);
    const answer = (await res.json()) as unknown;
    if (!answer || typeof answer !== 'object') throw new Error('siteverify answered something other than a JSON object');
    return answer as SiteverifyAnswer;
  }

  return {
    requiredFor: (action) => required.has(action),
    async verify(token, action, remoteIp) {
      if (!required.has(action)) return;
      if (!token) {
        fail(action, 'missing', new AppError('captcha_required', 'Solve the CAPTCHA and send its token as captcha_token.', { fields: { captcha_action: action } }));
      }
      let answer: SiteverifyAnswer;
      try {
        answer = await siteverify(token!, remoteIp);
      } catch (err) {
        const reason = err instanceof Error ? (err.name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : err.message) : String(err);
        logger?.warn({ event: 'captcha_verify_failed', error: reason, on_error: settings.onError }, `CAPTCHA verification failed (${reason})`);
        if (settings.onError === 'fail-open') return;
        return fail(action, 'unavailable', new AppError('captcha_unavailable', 'The CAPTCHA could not be checked right now; try again in a moment.'));
      }
      const errorCodes = Array.isArray(answer['error-codes']) ? answer['error-codes'].filter((c): c is string => typeof c === 'string').slice(0, 5) : [];
      const problems: string[] = [];
      if (answer.success !== true) problems.push(...(errorCodes.length > 0 ? errorCodes : ['unsuccessful']));
      else {
        if (hostnames.size > 0 && !(typeof answer.hostname === 'string' && hostnames.has(answer.hostname.toLowerCase()))) problems.push('hostname-mismatch');
        const actionShown = typeof answer.action === 'string' && answer.action !== '';
        if ((settings.provider === 'turnstile' || actionShown) && answer.action !== action) problems.push('action-mismatch');
      }
      if (problems.length > 0) {
        fail(action, 'rejected', new AppError('captcha_failed', 'The CAPTCHA was not accepted: solve it again (each token works once).', { fields: { captcha_action: action, captcha_errors: problems } }));
      }
    },
  };
}

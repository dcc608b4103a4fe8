import type { AbuseSettings, CaptchaAction } from '../../config/abuse-settings';

/**
 * What a server-rendered page needs to show a provider's widget: its element, its script, the
 * form field its token is posted in, and the origins the page's Content-Security-Policy must then
 * allow. A page that shows no widget allows none of them.
 */
export interface CaptchaWidget {
  readonly provider: 'turnstile' | 'hcaptcha';
  readonly siteKey: string;
  /** The action the token is solved for (Turnstile's data-action; siteverify reports it back). */
  readonly action: CaptchaAction;
  /** The element the provider's script turns into the widget. */
  readonly className: string;
  readonly scriptSrc: string;
  /** The field the widget adds to its form with the token. */
  readonly responseField: string;
  /** Origins per CSP directive. */
  readonly csp: { readonly script: readonly string[]; readonly frame: readonly string[]; readonly style: readonly string[]; readonly connect: readonly string[] };
}

// Turnstile: https://developers.cloudflare.com/turnstile/reference/content-security-policy (script-src and frame-src).
const TURNSTILE_ORIGIN = 'https://challenges.cloudflare.com';
// hCaptcha: https://docs.hcaptcha.com/#content-security-policy-settings (script, frame, style and connect).
const HCAPTCHA_ORIGINS = ['https://hcaptcha.com', 'https://*.hcaptcha.com'];

/** The widget of the configured provider for `action`; undefined without a provider or a site key. */
export function captchaWidget(settings: AbuseSettings['captcha'], action: CaptchaAction): CaptchaWidget | undefined {
  if (settings.provider === 'none' || !settings.siteKey) return undefined;
  if (settings.provider === 'turnstile') {
    return {
      provider: 'turnstile',
      siteKey: settings.siteKey,
      action,
      className: 'cf-turnstile',
      scriptSrc: `${TURNSTILE_ORIGIN}/turnstile/v0/api.js`,
      responseField: 'cf-turnstile-response',
      csp: { script: [TURNSTILE_ORIGIN], frame: [TURNSTILE_ORIGIN], style: [], connect: [] },
    };
  }
  return {
    provider: 'hcaptcha',
    siteKey: settings.siteKey,
    action,
    className: 'h-captcha',
    scriptSrc: 'https://js.hcaptcha.com/1/api.js',
    responseField: 'h-captcha-response',
    csp: { script: HCAPTCHA_ORIGINS, frame: HCAPTCHA_ORIGINS, style: HCAPTCHA_ORIGINS, connect: HCAPTCHA_ORIGINS },
  };
}

import { ConfigError } from '../../src/config/config';
import { testConfig } from '../support/env';

const message = (env: Record<string, string>) => {
  try {
    testConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return undefined;
};

describe('configuration of the abuse defences', () => {
  it('is off by default: no breach check, no CAPTCHA, mail in en', () => {
    const { abuse, mail } = testConfig();
    expect(abuse.breachedPasswords.enabled).toBe(false);
    expect(abuse.captcha.provider).toBe('none');
    expect(mail.defaultLocale).toBe('en');
  });

  it('a provider picks its siteverify URL unless one is given', () => {
    expect(testConfig({ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 's', CAPTCHA_SITE_KEY: 'k' }).abuse.captcha.verifyUrl).toBe('https://challenges.cloudflare.com/turnstile/v0/siteverify');
    expect(testConfig({ CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: 's', CAPTCHA_SITE_KEY: 'k' }).abuse.captcha.verifyUrl).toBe('https://api.hcaptcha.com/siteverify');
  });

  it('the site key is needed only where the sign-in pages must show the widget (login asks)', () => {
    expect(testConfig({ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 's', CAPTCHA_REQUIRED_FOR: 'register' }).abuse.captcha.siteKey).toBeUndefined();
    expect(testConfig({ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 's', CAPTCHA_SITE_KEY: '0x4AAAAAAAsite' }).abuse.captcha.siteKey).toBe('0x4AAAAAAAsite');
  });

  it.each([
    [{ CAPTCHA_PROVIDER: 'turnstile' }, 'CAPTCHA_SECRET: required when CAPTCHA_PROVIDER=turnstile'],
    [{ CAPTCHA_PROVIDER: 'hcaptcha', CAPTCHA_SECRET: 's' }, 'CAPTCHA_SITE_KEY: required when CAPTCHA_PROVIDER=hcaptcha and CAPTCHA_REQUIRED_FOR includes login'],
    [{ CAPTCHA_PROVIDER: 'turnstile', CAPTCHA_SECRET: 's', CAPTCHA_SITE_KEY: '<script>' }, "CAPTCHA_SITE_KEY: expected the widget's site key"],
    [{ CAPTCHA_PROVIDER: 'recaptcha' }, 'CAPTCHA_PROVIDER: expected none, turnstile or hcaptcha'],
    [{ CAPTCHA_REQUIRED_FOR: 'register,signup' }, 'CAPTCHA_REQUIRED_FOR: expected a comma-separated list of register, forgot_password, login, guest'],
    [{ BREACHED_PASSWORD_ON_ERROR: 'open' }, 'BREACHED_PASSWORD_ON_ERROR: expected fail-open or fail-closed'],
    [{ BREACHED_PASSWORD_RANGE_URL: 'ftp://x' }, 'BREACHED_PASSWORD_RANGE_URL: expected an http(s) URL'],
    [{ MAIL_DEFAULT_LOCALE: 'Spanish' }, 'MAIL_DEFAULT_LOCALE: expected a language tag such as en or es'],
  ])('%j is refused in one line naming the variable', (env, expected) => {
    const text = message(env as Record<string, string>);
    expect(text).toContain(expected);
    expect(text).not.toContain('\n');
  });
});

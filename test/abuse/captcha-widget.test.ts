import { createCaptchaVerifier } from '../../src/auth/abuse/captcha';
import { captchaWidget } from '../../src/auth/abuse/captcha-widget';
import { createLoginCaptcha } from '../../src/auth/abuse/login-captcha';
import { loginPage } from '../../src/auth/oidc/pages/login-page';
import { PAGE_CSP, pageCsp } from '../../src/auth/oidc/pages/layout';
import { passwordSignIn } from '../../src/auth/oidc/sign-in/password';
import { testConfig } from '../support/env';

/** What the login page shows for each provider when a CAPTCHA is due, and what its CSP then lets in (nothing more otherwise). */
describe('the CAPTCHA widget on a server-rendered sign-in page', () => {
  const settings = (provider: 'turnstile' | 'hcaptcha') => testConfig({ CAPTCHA_PROVIDER: provider, CAPTCHA_SECRET: 's', CAPTCHA_SITE_KEY: 'site-key-1' }).abuse.captcha;
  const method = passwordSignIn({ checkSignInPassword: () => Promise.reject(new Error('not called')) });
  const render = (widget: NonNullable<ReturnType<typeof captchaWidget>>) =>
    loginPage({ uid: 'u1', mountPath: '/oidc', clientName: 'Purr Web', catName: null, methods: [method], csrf: { password: 'c1', abort: 'c2' }, widgets: { password: widget } });

  it('hCaptcha: its element and script on the page; script, frame, style and connect of hcaptcha.com in the CSP', () => {
    const widget = captchaWidget(settings('hcaptcha'), 'login')!;
    const html = render(widget);
    expect(html).toContain('<div class="h-captcha" id="captcha" data-sitekey="site-key-1"></div>');
    expect(html).toContain('<script src="https://js.hcaptcha.com/1/api.js" async defer></script>');
    expect(widget.responseField).toBe('h-captcha-response');
    const csp = pageCsp(widget.csp);
    for (const directive of ['script-src', 'frame-src', 'connect-src']) expect(csp).toContain(`${directive} https://hcaptcha.com https://*.hcaptcha.com`);
    expect(csp).toMatch(/style-src 'sha256-[^']+' https:\/\/hcaptcha\.com https:\/\/\*\.hcaptcha\.com/);
  });

  it('Turnstile: the action rendered with the widget; only challenges.cloudflare.com for script and frame', () => {
    const widget = captchaWidget(settings('turnstile'), 'login')!;
    expect(render(widget)).toContain('<div class="cf-turnstile" id="captcha" data-sitekey="site-key-1" data-action="login"></div>');
    expect(widget.responseField).toBe('cf-turnstile-response');
    expect(pageCsp(widget.csp)).toBe(PAGE_CSP.replace("; base-uri", "; script-src https://challenges.cloudflare.com; frame-src https://challenges.cloudflare.com; base-uri"));
  });

  it('without a provider there is no widget, and the pages\' policy allows no script at all', () => {
    expect(captchaWidget(testConfig().abuse.captcha, 'login')).toBeUndefined();
    expect(PAGE_CSP).not.toContain('script-src');
    expect(PAGE_CSP).not.toContain('frame-src');
  });

  it('with CAPTCHA_LOGIN_AFTER_FAILURES=0 a fresh login page already shows it; otherwise only once what was typed looks suspicious', async () => {
    const captcha = settings('turnstile');
    const verifier = createCaptchaVerifier({ settings: captcha });
    const suspicion = { clientFailures: 0, accountUnderAttack: false };
    const throttle = () => ({ suspicion: async () => suspicion });
    const always = passwordSignIn({ checkSignInPassword: () => Promise.reject(new Error('not called')) }, createLoginCaptcha(verifier, throttle, 0, captchaWidget(captcha, 'login')));
    expect(await always.humanCheck!({}, { ip: '192.0.2.1' })).toMatchObject({ className: 'cf-turnstile', action: 'login' });
    const afterTwo = passwordSignIn({ checkSignInPassword: () => Promise.reject(new Error('not called')) }, createLoginCaptcha(verifier, throttle, 2, captchaWidget(captcha, 'login')));
    expect(await afterTwo.humanCheck!({}, { ip: '192.0.2.1' })).toBeUndefined();
    expect(await afterTwo.humanCheck!({ email: 'pat@cathouse.example' }, { ip: '192.0.2.1' })).toBeUndefined();
    suspicion.accountUnderAttack = true;
    expect(await afterTwo.humanCheck!({ email: 'pat@cathouse.example' }, { ip: '192.0.2.1' })).toMatchObject({ className: 'cf-turnstile' });
  });
});

import type { AbuseSettings } from '../../config/abuse-settings';
import type { AbuseObserver } from './abuse-observer';
import { createBreachedPasswordCheck, type BreachCheckLog, type BreachedPasswordCheck } from './breached-passwords';
import { createCaptchaVerifier, type CaptchaVerifier } from './captcha';
import { captchaWidget } from './captcha-widget';
import { createLoginCaptcha, type LoginCaptcha } from './login-captcha';
import { createNewDeviceNotice, type NewDeviceNotice } from './new-device';
import type { LoginThrottle } from '../throttling/login-throttle';

export interface AbuseDefences {
  breachedPasswords: BreachedPasswordCheck;
  captcha: CaptchaVerifier;
  loginCaptcha: LoginCaptcha;
  /** Absent when NEW_DEVICE_NOTICE is off: a sign-in then reads nothing for it (no user row, no transaction of its own). */
  newDeviceNotice: NewDeviceNotice | undefined;
}

/** The abuse defences of issue 30, built from their settings; each is a no-op when its setting is off. */
export function createAbuseDefences(
  settings: AbuseSettings,
  {
    observer,
    logger,
    loginThrottle,
    outboxKey,
    resetTtlSeconds,
  }: { observer?: AbuseObserver; logger?: BreachCheckLog; loginThrottle: () => Pick<LoginThrottle, 'suspicion'>; outboxKey: Buffer; resetTtlSeconds: number },
): AbuseDefences {
  const captcha = createCaptchaVerifier({ settings: settings.captcha, observer, logger });
  return {
    breachedPasswords: createBreachedPasswordCheck({ settings: settings.breachedPasswords, observer, logger }),
    captcha,
    loginCaptcha: createLoginCaptcha(captcha, loginThrottle, settings.captcha.loginAfterFailures, captchaWidget(settings.captcha, 'login')),
    newDeviceNotice: settings.newDeviceNotice ? createNewDeviceNotice({ enabled: true, outboxKey, resetTtlSeconds }) : undefined,
  };
}

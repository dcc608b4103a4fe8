import { AppError } from '../../../errors/app-error';
import type { LoginCaptcha } from '../../abuse/login-captcha';
import type { AuthService } from '../../auth-service';
import type { SignInMethod } from './sign-in-method';

/**
 * Email and password, through the service's password check of every sign-in
 * (AuthService.checkSignInPassword): the same throttles, the same bcrypt work for unknown emails,
 * the same audit events and error codes as POST /login, and the same CAPTCHA after suspicious
 * failures, whose token comes in the field the provider's widget posts (cf-turnstile-response,
 * h-captcha-response). The page records login_succeeded once the whole sign-in is done
 * (SignInRecorder): a correct password may still need a second factor.
 */
export function passwordSignIn(
  service: Pick<AuthService, 'checkSignInPassword'>,
  captcha?: Pick<LoginCaptcha, 'required' | 'widget'>,
): SignInMethod {
  const widget = captcha?.widget;
  return {
    id: 'password',
    label: 'Sign in',
    fields: [
      { name: 'email', label: 'Email', type: 'email', autocomplete: 'username' },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' },
    ],
    async signIn(form, client) {
      const email = form.email?.trim();
      const password = form.password;
      if (!email || !password) throw new AppError('invalid_request', 'Enter your email and your password.');
      const token = widget ? form[widget.responseField] || undefined : undefined;
      // The CAPTCHA's refusals (captcha_required...) are worded by the pages' catalogues (page-words.ts), in the page's language.
      const user = await service.checkSignInPassword(email, password, client, token);
      return { userId: user.id, methods: ['pwd'] };
    },
    async humanCheck(form, client) {
      if (!captcha || !widget) return undefined;
      return (await captcha.required(form.email?.trim(), client.ip)) ? widget : undefined;
    },
  };
}

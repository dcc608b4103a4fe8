import { AppError } from '../../../errors/app-error';
import type { AuthService } from '../../auth-service';
import type { SignInMethod } from './sign-in-method';

/**
 * Email and password, through the service's own password check (AuthService.checkPassword): the
 * same throttles, the same bcrypt work for unknown emails, the same audit events and error codes
 * as POST /login. The page records login_succeeded once the whole sign-in is done (SignInRecorder):
 * a correct password may still need a second factor.
 */
export function passwordSignIn(service: Pick<AuthService, 'checkPassword'>): SignInMethod {
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
      const user = await service.checkPassword(email, password, client);
      return { userId: user.id, methods: ['pwd'] };
    },
  };
}

import { AppError } from '../../errors/app-error';

/**
 * Addresses the service refuses for an account (issue 22 M8): under a reserved top-level domain
 * (EMAIL_REFUSED_TLDS; by default .invalid, .localhost, .test and .example, RFC 2606 and RFC 6761).
 * No mail can reach them, so an account there could never be verified or recovered, and they are
 * where placeholders live. Registration and email change both ask this.
 */
export function assertEmailAllowed(normalizedEmail: string, refusedTlds: readonly string[], field = 'email'): void {
  const domain = normalizedEmail.slice(normalizedEmail.lastIndexOf('@') + 1).replace(/\.$/, '');
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  if (refusedTlds.includes(tld)) {
    throw new AppError('email_not_allowed', `Addresses under the reserved top-level domain .${tld} cannot receive mail and are not accepted.`, {
      fields: { invalid_params: [{ name: field, reason: `reserved top-level domain .${tld}` }] },
    });
  }
}

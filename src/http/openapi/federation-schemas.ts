import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { captchaToken, localeField } from './request-fields';
import { User } from './schemas';

/** Schemas of sign-in with other providers, identities and guests (issue 25). */
extendZodWithOpenApi(z);

const provider = z.string().min(1).max(64).openapi({ description: 'A configured provider: `apple` or `google`.', example: 'apple' });
const idToken = z.string().min(1).max(8192).openapi({ description: 'The ID token (JWT) the native SDK returned.' });
const nonce = z.string().min(16).max(512).optional().openapi({
  description: 'The raw nonce; the app gave the provider its SHA-256 in hex. Required: a token without a matching nonce is refused.',
});
const displayName = z.string().trim().min(1).max(100).optional().openapi({
  description: 'The name the app got from the provider (Apple gives it on the first sign-in only, outside the token). Kept when the account has none.',
});

const locale = localeField.optional().openapi({
  description: "The language of the new account's mail (issue 30), as at POST register; when absent, the best match of Accept-Language. Only an account this request creates takes it.",
});

export const IdTokenRequest = z.strictObject({ provider, id_token: idToken, nonce, display_name: displayName, locale }).openapi('IdTokenRequest');

export const LinkIdentityRequest = z.strictObject({ provider, id_token: idToken, nonce }).openapi('LinkIdentityRequest');

export const Identity = z
  .object({
    id: z.string().openapi({ format: 'uuid' }),
    provider: z.string(),
    email: z.string().nullable().openapi({ description: 'The address the provider proved at the last sign-in.' }),
    is_private_email: z.boolean().openapi({ description: "Apple's private relay address." }),
    created_at: z.string().openapi({ format: 'date-time' }),
    last_sign_in_at: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Identity');

export const IdentityList = z.object({ identities: z.array(Identity) }).openapi('IdentityList');

export const IdentityIdParams = z.strictObject({ id: z.string().openapi({ format: 'uuid' }) });

export const FederatedTokenResponseExtras = z.object({
  user: User,
  created: z.boolean().openapi({ description: 'True when this sign-in created the account.' }),
});

export const GuestRequest = z
  .strictObject({ captcha_token: captchaToken.openapi({ description: 'The CAPTCHA token (action `guest`) when CAPTCHA_REQUIRED_FOR has `guest`; otherwise the body may be left out.' }) })
  .openapi('GuestRequest');

export const GuestPasswordUpgrade = z
  .strictObject({
    email: z.string().trim().email().max(320).openapi({ example: 'mia@cathouse.example' }),
    password: z.string().min(1).max(1024),
    display_name: displayName,
    captcha_token: captchaToken.openapi({ description: 'The CAPTCHA of the register form (action `register`), asked for exactly when POST register asks for one: an upgrade is a registration.' }),
    locale,
  })
  .openapi('GuestPasswordUpgrade');

export const GuestUpgradeRequest = z.union([GuestPasswordUpgrade, IdTokenRequest]).openapi('GuestUpgradeRequest', {
  description: 'Either an address and a password (a verification mail follows), or a provider sign-in (its ID token and raw nonce).',
});

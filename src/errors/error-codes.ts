/**
 * Every error code the service answers with, in one list that clients can rely on.
 * OAuth 2.0 names (RFC 6749 §5.2) where they exist; our own otherwise.
 * Codes are stable: add new ones, never rename or reuse.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, title: 'Invalid request' },
  invalid_json: { status: 400, title: 'Malformed JSON' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  invalid_grant: { status: 400, title: 'Invalid grant' },
  unsupported_grant_type: { status: 400, title: 'Unsupported grant type' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  invalid_token: { status: 401, title: 'Invalid token' },
  forbidden: { status: 403, title: 'Forbidden' },
  csrf_failed: { status: 403, title: 'CSRF check failed' },
  email_taken: { status: 409, title: 'Email already registered' },
  weak_password: { status: 400, title: 'Password does not meet requirements' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  rate_limited: { status: 429, title: 'Too many requests' },
  database_unavailable: { status: 503, title: 'Database unavailable' },
  not_ready: { status: 503, title: 'Not ready' },
  internal_error: { status: 500, title: 'Internal server error' },
  role_not_allowed: { status: 403, title: 'Role not allowed' },
  account_disabled: { status: 403, title: 'Account disabled' },
  last_admin: { status: 409, title: 'Last administrator' },
  server_busy: { status: 503, title: 'Server busy' },
  // OAuth 2.0 client authentication and token exchange (issue 12): RFC 6749 §5.2, RFC 8693 §2.2.2.
  invalid_client: { status: 401, title: 'Client authentication failed' },
  invalid_scope: { status: 400, title: 'Invalid scope' },
  unauthorized_client: { status: 400, title: 'Client not authorized for this grant' },
  invalid_target: { status: 400, title: 'Invalid target' },
  // Account lifecycle (issue 10).
  link_invalid: { status: 400, title: 'Link invalid or expired' },
  email_not_verified: { status: 403, title: 'Email not verified' },
  already_verified: { status: 409, title: 'Email already verified' },
  // Issue 22: an address under a reserved top-level domain (EMAIL_REFUSED_TLDS).
  email_not_allowed: { status: 400, title: 'Email address not accepted' },
  // OpenID provider client registration (issue 27): RFC 7591 §3.2.2.
  invalid_client_metadata: { status: 400, title: 'Invalid client metadata' },
  invalid_redirect_uri: { status: 400, title: 'Invalid redirect URI' },
  // Sign-in with other providers' ID tokens, identities and guests (issue 25): one code per refusal.
  unknown_provider: { status: 400, title: 'Unknown identity provider' },
  id_token_invalid: { status: 401, title: 'Invalid ID token' },
  id_token_wrong_issuer: { status: 401, title: 'ID token from another issuer' },
  id_token_wrong_audience: { status: 401, title: 'ID token for another client' },
  id_token_expired: { status: 401, title: 'ID token expired' },
  id_token_not_yet_valid: { status: 401, title: 'ID token not yet valid' },
  id_token_nonce_mismatch: { status: 401, title: 'Nonce mismatch' },
  provider_email_unverified: { status: 403, title: 'Email not verified by the provider' },
  provider_unavailable: { status: 503, title: 'Identity provider unavailable' },
  identity_in_use: { status: 409, title: 'Identity linked to another account' },
  last_identity: { status: 409, title: 'Last way to sign in' },
  not_a_guest: { status: 409, title: 'Not a guest account' },
  guest_not_allowed: { status: 403, title: 'Not allowed for guests' },
  // Web redirect sign-in (issue 25 item 2): a frontend URL outside WEB_SIGN_IN_RETURN_URLS.
  return_to_not_allowed: { status: 400, title: 'Return URL not allowed' },
  // ...and a native app's return URL (RFC 8252) started without its PKCE code_challenge.
  code_challenge_required: { status: 400, title: 'PKCE code challenge required' },
  // Developer credentials (issue 28): RFC 8628 §3.5 polling answers, and a sign-in too old for the action.
  authorization_pending: { status: 400, title: 'Authorization pending' },
  slow_down: { status: 400, title: 'Polling too fast' },
  access_denied: { status: 400, title: 'Access denied' },
  expired_token: { status: 400, title: 'Device code expired' },
  reauthentication_required: { status: 403, title: 'Recent sign-in required' },
  // Shared Signals (issue 29): RFC 6750 §3.1 for a token without the scope.
  insufficient_scope: { status: 403, title: 'Insufficient scope' },
  // Passkeys, second factors and step-up (issue 26).
  mfa_required: { status: 403, title: 'Second factor required' },
  insufficient_user_authentication: { status: 401, title: 'Step-up authentication required' },
  mfa_enrollment_required: { status: 403, title: 'Second factor enrolment required' },
  invalid_mfa_token: { status: 400, title: 'MFA token invalid or expired' },
  factor_exists: { status: 409, title: 'Factor already set up' },
  // Abuse defences (issue 30): src/auth/abuse.
  password_breached: { status: 400, title: 'Password found in data breaches' },
  breach_check_unavailable: { status: 503, title: 'Breached-password check unavailable' },
  captcha_required: { status: 400, title: 'CAPTCHA required' },
  captcha_failed: { status: 400, title: 'CAPTCHA failed' },
  captcha_unavailable: { status: 503, title: 'CAPTCHA verification unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

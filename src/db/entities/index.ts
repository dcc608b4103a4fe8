import { AccountToken } from './account-token.entity';
import { AuditEvent } from './audit-event.entity';
import { ConnectedApp } from './connected-app.entity';
import { DeviceAuthorization } from './device-authorization.entity';
import { PersonalAccessToken } from './personal-access-token.entity';
import { MailOutbox } from './mail-outbox.entity';
import { OidcClient } from './oidc-client.entity';
import { OidcModel } from './oidc-model.entity';
import { RateLimit } from './rate-limit.entity';
import { RefreshToken } from './refresh-token.entity';
import { ServiceClient } from './service-client.entity';
import { Session } from './session.entity';
import { User } from './user.entity';
import { Identity } from './identity.entity';
import { EventDelivery } from './event-delivery.entity';
import { EventSubscription } from './event-subscription.entity';
import { SecurityEvent, SecurityEventSubject } from './security-event.entity';
import { MfaChallenge } from './mfa-challenge.entity';
import { RecoveryCode } from './recovery-code.entity';
import { TotpFactor } from './totp-factor.entity';
import { WebauthnChallenge } from './webauthn-challenge.entity';
import { WebauthnCredential } from './webauthn-credential.entity';

export { AccountToken, AuditEvent, MailOutbox, RateLimit, RefreshToken, ServiceClient, Session, User };
// The OpenID provider (issue 27).
export { ConnectedApp, OidcClient, OidcModel };
// Identities of other providers (issue 25).
export { Identity };
// Developer credentials (issue 28).
export { DeviceAuthorization, PersonalAccessToken };
export { DEVICE_AUTHORIZATION_STATUSES, type DeviceAuthorizationStatus } from './device-authorization.entity';
// Security events, webhooks and Shared Signals streams (issue 29).
export { EventDelivery, EventSubscription, SecurityEvent, SecurityEventSubject };
export { DELIVERY_STATUSES, type DeliveryStatus } from './event-delivery.entity';
export { DELIVERY_METHODS, SUBSCRIPTION_KINDS, SUBSCRIPTION_STATUSES, type DeliveryMethod, type SubscriptionKind, type SubscriptionStatus } from './event-subscription.entity';
// Passkeys and second factors (issue 26).
export { MfaChallenge, RecoveryCode, TotpFactor, WebauthnChallenge, WebauthnCredential };
export { ACCOUNT_TOKEN_PURPOSES, type AccountTokenPurpose } from './account-token.entity';
export { MAIL_STATUSES, type MailStatus } from './mail-outbox.entity';
export { AUTH_SCHEMA } from './schema';
export { ASSIGNABLE_ROLES, USER_ROLES, type UserRole } from './user.entity';

/** The entities the auth service owns. */
export const authEntities = [User, Session, RefreshToken, RateLimit, AuditEvent, AccountToken, MailOutbox, ServiceClient, OidcModel, OidcClient, ConnectedApp,
  DeviceAuthorization, PersonalAccessToken, SecurityEvent, SecurityEventSubject, EventSubscription, EventDelivery,
  WebauthnCredential, TotpFactor, RecoveryCode, MfaChallenge, WebauthnChallenge, Identity];

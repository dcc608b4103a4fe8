import { AccountToken } from './account-token.entity';
import { AuditEvent } from './audit-event.entity';
import { ConnectedApp } from './connected-app.entity';
import { MailOutbox } from './mail-outbox.entity';
import { OidcClient } from './oidc-client.entity';
import { OidcModel } from './oidc-model.entity';
import { RateLimit } from './rate-limit.entity';
import { RefreshToken } from './refresh-token.entity';
import { ServiceClient } from './service-client.entity';
import { Session } from './session.entity';
import { User } from './user.entity';
import { Identity } from './identity.entity';

export { AccountToken, AuditEvent, MailOutbox, RateLimit, RefreshToken, ServiceClient, Session, User };
// The OpenID provider (issue 27).
export { ConnectedApp, OidcClient, OidcModel };
// Identities of other providers (issue 25).
export { Identity };
export { ACCOUNT_TOKEN_PURPOSES, type AccountTokenPurpose } from './account-token.entity';
export { MAIL_STATUSES, type MailStatus } from './mail-outbox.entity';
export { AUTH_SCHEMA } from './schema';
export { ASSIGNABLE_ROLES, USER_ROLES, type UserRole } from './user.entity';

/** The entities the auth service owns. */
export const authEntities = [User, Session, RefreshToken, RateLimit, AuditEvent, AccountToken, MailOutbox, ServiceClient, OidcModel, OidcClient, ConnectedApp, Identity];

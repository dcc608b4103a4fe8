import { AuditEvent } from './audit-event.entity';
import { RateLimit } from './rate-limit.entity';
import { RefreshToken } from './refresh-token.entity';
import { ServiceClient } from './service-client.entity';
import { Session } from './session.entity';
import { User } from './user.entity';

export { AuditEvent, RateLimit, RefreshToken, ServiceClient, Session, User };
export { AUTH_SCHEMA } from './schema';
export { USER_ROLES, type UserRole } from './user.entity';

/** The entities the auth service owns. */
export const authEntities = [User, Session, RefreshToken, RateLimit, AuditEvent, ServiceClient];

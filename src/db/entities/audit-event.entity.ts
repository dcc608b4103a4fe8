import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { AUTH_SCHEMA } from './schema';

/**
 * One security event (src/auth/audit/audit-events.ts). Append-only: the service inserts rows and
 * retention drops whole months; nothing updates them. The table is partitioned by month on
 * occurred_at (migration 1796662452310; the partitions live in the schema auth_audit), so the
 * primary key includes occurred_at. id and occurred_at are set by the database (a trigger draws
 * the id from auth_audit.audit_event_id_seq): the id's order is the order rows were written,
 * which the keyset paging (`before`) relies on.
 *
 * user_id, actor_id and session_id carry no foreign keys on purpose (as Supabase's
 * audit_log_entries): the history must outlive the sessions (pruned a day after they end) and a
 * deleted account, until retention removes it.
 */
@Entity({ name: 'audit_events', schema: AUTH_SCHEMA })
@Index(['userId', 'id'])
@Index(['type', 'id'])
export class AuditEvent {
  @PrimaryColumn({ type: 'bigint' })
  id!: string;

  @PrimaryColumn({ type: 'timestamptz', default: () => 'now()' })
  occurredAt!: Date;

  @Column({ type: 'varchar', length: 50 })
  type!: string;

  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  /** Who did it, when that is not the user (an admin). */
  @Column({ type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'inet', nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  detail!: Record<string, unknown>;
}

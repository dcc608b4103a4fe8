import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
  CreateDateColumn,
} from 'typeorm';
import { Cat } from '@cathouse/catalog';
import { INSTALLATION_SCHEMA } from './schema';

export const INSTALLATION_STATUSES = ['active', 'paused', 'uninstalled'] as const;
export type InstallationStatus = (typeof INSTALLATION_STATUSES)[number];

/**
 * A cat installed by a player. Uninstalling sets the status rather than deleting the row, and
 * neither users nor cats cascade into installations: the history is kept.
 */
@Entity({ name: 'installations', schema: INSTALLATION_SCHEMA })
@Unique(['userId', 'catId', 'instanceName'])
@Index(['userId', 'status'])
@Index(['lastInteractionAt'])
// Every foreign key has an index on its referencing columns (test/db/foreign-key-indexes.test.ts):
// deleting or re-keying a cat must not scan this table.
@Index(['catId'])
// The target of installation_permissions' composite foreign key (installation_id, cat_id).
@Unique(['id', 'catId'])
export class Installation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @ManyToOne('User', { nullable: false, onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'user_id' })
  user?: unknown;

  @Column({ type: 'uuid' })
  catId!: string;

  @ManyToOne(() => Cat, { nullable: false, onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'cat_id' })
  cat?: Cat;

  @Column({ type: 'varchar', length: 100 })
  instanceName!: string;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  config!: Record<string, unknown>;

  @Column({ type: 'enum', enum: INSTALLATION_STATUSES, enumName: 'installation_status', default: 'active' })
  status!: InstallationStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  installedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  lastInteractionAt!: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

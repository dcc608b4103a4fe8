import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { CATALOG_SCHEMA } from './schema';

export const CAT_STATUSES = ['draft', 'published', 'suspended'] as const;
export type CatStatus = (typeof CAT_STATUSES)[number];

/**
 * A cat: a gamification integration a developer publishes. `developerId` references the auth
 * service's `users` by entity name ('User'), so this package does not depend on the auth service;
 * no cascade, so a cat outlives the account that published it.
 */
@Entity({ name: 'cats', schema: CATALOG_SCHEMA })
@Index(['status'])
@Index(['developerId', 'status'])
export class Cat {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  developerId!: string;

  @ManyToOne('User', { nullable: false, onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'developer_id' })
  developer?: unknown;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 50 })
  version!: string;

  @Column({ type: 'varchar', length: 2048 })
  endpointUrl!: string;

  @Column({ type: 'enum', enum: CAT_STATUSES, enumName: 'cat_status', default: 'draft' })
  status!: CatStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

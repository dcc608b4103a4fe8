import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import { Cat } from './cat.entity';
import { CATALOG_SCHEMA } from './schema';

export const PERMISSION_TYPES = ['storage', 'notification', 'external_api'] as const;
export type PermissionType = (typeof PERMISSION_TYPES)[number];

/** A permission a cat asks for; it goes with its cat (ON DELETE CASCADE). */
@Entity({ name: 'permissions', schema: CATALOG_SCHEMA })
@Index(['catId', 'permissionType'])
// The target of installation_permissions' composite foreign key (permission_id, cat_id): a grant
// can only name a permission of the installation's own cat.
@Unique(['id', 'catId'])
export class Permission {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  catId!: string;

  @ManyToOne(() => Cat, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'cat_id' })
  cat?: Cat;

  @Column({ type: 'enum', enum: PERMISSION_TYPES, enumName: 'permission_type' })
  permissionType!: PermissionType;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'boolean', default: true })
  required!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

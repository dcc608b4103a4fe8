import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Permission } from '@cathouse/catalog';
import { Installation } from './installation.entity';
import { INSTALLATION_SCHEMA } from './schema';

/**
 * Whether an installation granted one of its cat's permissions; goes with either side. `catId` is
 * the cat of both: the two foreign keys are composite, (installation_id, cat_id) and
 * (permission_id, cat_id), so the database refuses a grant of another cat's permission.
 */
@Entity({ name: 'installation_permissions', schema: INSTALLATION_SCHEMA })
// Each foreign key's columns lead an index: deleting an installation or a permission must find
// its grants without a scan.
@Index(['installationId', 'catId'])
@Index(['permissionId', 'catId'])
export class InstallationPermission {
  @PrimaryColumn({ type: 'uuid' })
  installationId!: string;

  @PrimaryColumn({ type: 'uuid' })
  permissionId!: string;

  @Column({ type: 'uuid' })
  catId!: string;

  @ManyToOne(() => Installation, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'installation_id', referencedColumnName: 'id' },
    { name: 'cat_id', referencedColumnName: 'catId' },
  ])
  installation?: Installation;

  @ManyToOne(() => Permission, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'permission_id', referencedColumnName: 'id' },
    { name: 'cat_id', referencedColumnName: 'catId' },
  ])
  permission?: Permission;

  @Column({ type: 'boolean', default: false })
  granted!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  grantedAt!: Date | null;
}

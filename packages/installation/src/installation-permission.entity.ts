import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Permission } from '@cathouse/catalog';
import { Installation } from './installation.entity';
import { INSTALLATION_SCHEMA } from './schema';

/** Whether an installation granted one of its cat's permissions; goes with either side. */
@Entity({ name: 'installation_permissions', schema: INSTALLATION_SCHEMA })
export class InstallationPermission {
  @PrimaryColumn({ type: 'uuid' })
  installationId!: string;

  @PrimaryColumn({ type: 'uuid' })
  permissionId!: string;

  @ManyToOne(() => Installation, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'installation_id' })
  installation?: Installation;

  @ManyToOne(() => Permission, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'permission_id' })
  permission?: Permission;

  @Column({ type: 'boolean', default: false })
  granted!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  grantedAt!: Date | null;
}

import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Installation } from '@cathouse/installation';
import { PROXY_SCHEMA } from './schema';

/**
 * The audit of one request the proxy mediated to a cat. Append-only; `catId` and `userId` are
 * copied (not foreign keys) so the record stays readable whatever happens to the rows later.
 */
@Entity({ name: 'proxy_request_logs', schema: PROXY_SCHEMA })
@Index(['installationId', 'createdAt'])
export class ProxyRequestLog {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  installationId!: string;

  @ManyToOne(() => Installation, { nullable: false, onDelete: 'NO ACTION' })
  @JoinColumn({ name: 'installation_id' })
  installation?: Installation;

  @Column({ type: 'uuid' })
  catId!: string;

  @Column({ type: 'uuid' })
  userId!: string;

  @Column({ type: 'varchar', length: 100 })
  action!: string;

  @Column({ type: 'smallint' })
  statusCode!: number;

  @Column({ type: 'integer' })
  durationMs!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import { InstantColumn } from '../database/columns';
import type { AlertKind } from './alert.types';

@Entity('alerts')
@Index('IDX_alerts_subscriber_id_at', ['subscriberId', 'at'])
@Index('IDX_alerts_at', ['at'])
export class AlertEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'subscriber_id', type: 'varchar', length: 36 })
  subscriberId!: string;

  @Column({ type: 'varchar', length: 40 })
  kind!: AlertKind;

  @Column({ name: 'from_state', type: 'varchar', length: 40, nullable: true })
  from!: string | null;

  @Column({ name: 'to_state', type: 'varchar', length: 40 })
  to!: string;

  /** JSON array of reason codes. */
  @Column({ type: 'text' })
  reasons!: string;

  @InstantColumn()
  at!: Date;
}

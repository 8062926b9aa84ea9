import { Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** Lower-case label, 1-40 of a-z 0-9 . _ - starting with a letter or digit. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9._-]{0,39}$/;
export const MAX_TAGS_PER_SUBSCRIBER = 20;

/** One tag of a subscriber; the composite key makes a tag appear at most once per subscriber. */
@Entity('subscriber_tags')
@Index('IDX_subscriber_tags_tag', ['tag'])
export class SubscriberTagEntity {
  @PrimaryColumn({ name: 'subscriber_id', type: 'varchar', length: 36 })
  @ForeignKey('subscribers', 'id', { name: 'FK_subscriber_tags_subscriber_id', onDelete: 'CASCADE' })
  subscriberId!: string;

  @PrimaryColumn({ type: 'varchar', length: 40 })
  tag!: string;
}

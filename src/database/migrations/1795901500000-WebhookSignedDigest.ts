import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * webhook_events.signed_digest: the sha256 of the signed bytes of a delivery whose id the signature does not
 * cover (an HMAC source with an id header and a signed timestamp). Unique per source, so a captured delivery
 * resent under a new id header is a duplicate, not a new event.
 */
export class WebhookSignedDigest1795901500000 implements MigrationInterface {
  name = 'WebhookSignedDigest1795901500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'webhook_events',
      new TableColumn({ name: 'signed_digest', type: 'varchar', length: '64', isNullable: true }),
    );
    await queryRunner.createIndex(
      'webhook_events',
      new TableIndex({
        name: 'UQ_webhook_events_source_signed_digest',
        columnNames: ['source_id', 'signed_digest'],
        isUnique: true,
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('webhook_events', 'UQ_webhook_events_source_signed_digest');
    await queryRunner.dropColumn('webhook_events', 'signed_digest');
  }
}

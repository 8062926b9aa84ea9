import {
  type MigrationInterface,
  type QueryRunner,
  Table,
  TableColumn,
  TableForeignKey,
  TableIndex,
} from 'typeorm';

/**
 * The subscriber registry: relationship status, health, external reference, notes, vendor request id and sync
 * time on `subscribers`, and `subscriber_tags`. Existing rows were served companies, so they become `active`
 * (the column default). Portable Table API only (SQLite rebuilds the table with its rows; TypeORM turns
 * foreign keys off while migrations run, so company credentials survive the rebuild).
 */
export class SubscriberRegistry1795900200000 implements MigrationInterface {
  name = 'SubscriberRegistry1795900200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('subscribers', [
      new TableColumn({ name: 'status', type: 'varchar', length: '24', default: "'active'" }),
      new TableColumn({ name: 'status_reason', type: 'varchar', length: '500', isNullable: true }),
      new TableColumn({ name: 'health_status', type: 'varchar', length: '16', default: "'unknown'" }),
      new TableColumn({ name: 'health_since', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'external_ref', type: 'varchar', length: '100', isNullable: true }),
      new TableColumn({ name: 'notes', type: 'varchar', length: '2000', isNullable: true }),
      new TableColumn({ name: 'vendor_request_id', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'synced_at', type: 'bigint', isNullable: true }),
    ]);
    await queryRunner.createIndex(
      'subscribers',
      new TableIndex({ name: 'UQ_subscribers_external_ref', columnNames: ['external_ref'], isUnique: true }),
    );
    await queryRunner.createIndex(
      'subscribers',
      new TableIndex({ name: 'IDX_subscribers_status', columnNames: ['status'] }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'subscriber_tags',
        columns: [
          { name: 'subscriber_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'tag', type: 'varchar', length: '40', isPrimary: true },
        ],
      }),
    );
    await queryRunner.createForeignKey(
      'subscriber_tags',
      new TableForeignKey({
        name: 'FK_subscriber_tags_subscriber_id',
        columnNames: ['subscriber_id'],
        referencedTableName: 'subscribers',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.createIndex(
      'subscriber_tags',
      new TableIndex({ name: 'IDX_subscriber_tags_tag', columnNames: ['tag'] }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('subscriber_tags');
    await queryRunner.dropIndex('subscribers', 'IDX_subscribers_status');
    await queryRunner.dropIndex('subscribers', 'UQ_subscribers_external_ref');
    await queryRunner.dropColumns('subscribers', [
      'status',
      'status_reason',
      'health_status',
      'health_since',
      'external_ref',
      'notes',
      'vendor_request_id',
      'synced_at',
    ]);
  }
}

import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/** Health check history (see src/health-checks). Portable Table API; instants are epoch-ms `bigint`. */
export class HealthChecks1795900500000 implements MigrationInterface {
  name = 'HealthChecks1795900500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'health_check_results',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'subscriber_id', type: 'varchar', length: '36' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'reasons', type: 'varchar', length: '500' },
          { name: 'latency_ms', type: 'integer', isNullable: true },
          { name: 'checked_at', type: 'bigint' },
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_health_check_results_subscriber_id',
            columnNames: ['subscriber_id'],
            referencedTableName: 'subscribers',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          }),
        ],
        indices: [
          new TableIndex({
            name: 'IDX_health_check_results_subscriber_checked',
            columnNames: ['subscriber_id', 'checked_at'],
          }),
          new TableIndex({ name: 'IDX_health_check_results_checked_at', columnNames: ['checked_at'] }),
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('health_check_results');
  }
}

import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * Alerts (src/alerts): webhook destinations with a vault-sealed signing secret, the alerts raised on
 * subscriber state changes, and one durable delivery row per alert and destination. Portable Table API
 * (SQLite and PostgreSQL). No foreign keys: the delivery log outlives deleted destinations.
 */
export class Alerts1795900600000 implements MigrationInterface {
  name = 'Alerts1795900600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const instant = (name: string, isNullable = false) => ({ name, type: 'bigint', isNullable });
    const text = (name: string, length: number, isNullable = false) => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable,
    });

    await queryRunner.createTable(
      new Table({
        name: 'alert_destinations',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('name', 200),
          text('url', 2048),
          { name: 'enabled', type: 'boolean' },
          { name: 'secret_sealed', type: 'text' },
          text('key_id', 32),
          instant('created_at'),
          instant('updated_at'),
        ],
        indices: [new TableIndex({ name: 'IDX_alert_destinations_key_id', columnNames: ['key_id'] })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'alerts',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('subscriber_id', 36),
          text('kind', 40),
          text('from_state', 40, true),
          text('to_state', 40),
          { name: 'reasons', type: 'text' },
          instant('at'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_alerts_subscriber_id_at', columnNames: ['subscriber_id', 'at'] }),
          new TableIndex({ name: 'IDX_alerts_at', columnNames: ['at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'alert_deliveries',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('alert_id', 36),
          text('destination_id', 36),
          text('state', 16),
          { name: 'attempts', type: 'integer' },
          instant('next_attempt_at', true),
          instant('last_attempt_at', true),
          { name: 'last_status', type: 'integer', isNullable: true },
          text('last_error', 500, true),
        ],
        indices: [
          new TableIndex({
            name: 'IDX_alert_deliveries_state_next_attempt_at',
            columnNames: ['state', 'next_attempt_at'],
          }),
          new TableIndex({ name: 'IDX_alert_deliveries_alert_id', columnNames: ['alert_id'] }),
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('alert_deliveries');
    await queryRunner.dropTable('alerts');
    await queryRunner.dropTable('alert_destinations');
  }
}

import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/** Named expiring claims shared by all instances (src/cluster): heartbeats, scheduled ticks, token mints. */
export class ClusterLeases1795900800000 implements MigrationInterface {
  name = 'ClusterLeases1795900800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'cluster_leases',
        columns: [
          { name: 'name', type: 'varchar', length: '200', isPrimary: true },
          { name: 'owner', type: 'varchar', length: '64' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [new TableIndex({ name: 'IDX_cluster_leases_expires_at', columnNames: ['expires_at'] })],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('cluster_leases');
  }
}

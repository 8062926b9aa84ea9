import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Staff sign-in: staff users, refresh-token families, API keys and the failed-login counters.
 * Portable Table API only (SQLite and PostgreSQL); instants are epoch-ms `bigint`.
 */
export class StaffAuth1795900000000 implements MigrationInterface {
  name = 'StaffAuth1795900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'staff_users',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'email', type: 'varchar', length: '320' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'password_hash', type: 'varchar', length: '255' },
          { name: 'disabled', type: 'boolean' },
          { name: 'last_login_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'staff_users',
      new TableIndex({ name: 'UQ_staff_users_email', columnNames: ['email'], isUnique: true }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'refresh_tokens',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'staff_id', type: 'varchar', length: '36' },
          { name: 'family_id', type: 'varchar', length: '36' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createForeignKey(
      'refresh_tokens',
      new TableForeignKey({
        name: 'FK_refresh_tokens_staff_id',
        columnNames: ['staff_id'],
        referencedTableName: 'staff_users',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.createIndex(
      'refresh_tokens',
      new TableIndex({ name: 'UQ_refresh_tokens_token_hash', columnNames: ['token_hash'], isUnique: true }),
    );
    await queryRunner.createIndex(
      'refresh_tokens',
      new TableIndex({ name: 'IDX_refresh_tokens_staff_id', columnNames: ['staff_id'] }),
    );
    await queryRunner.createIndex(
      'refresh_tokens',
      new TableIndex({ name: 'IDX_refresh_tokens_family_id', columnNames: ['family_id'] }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'created_by', type: 'varchar', length: '36', isNullable: true },
          { name: 'secret_hash', type: 'varchar', length: '64' },
          { name: 'expires_at', type: 'bigint', isNullable: true },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
          { name: 'revoked_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createForeignKey(
      'api_keys',
      new TableForeignKey({
        name: 'FK_api_keys_created_by',
        columnNames: ['created_by'],
        referencedTableName: 'staff_users',
        referencedColumnNames: ['id'],
        onDelete: 'SET NULL',
      }),
    );
    await queryRunner.createIndex(
      'api_keys',
      new TableIndex({ name: 'IDX_api_keys_created_by', columnNames: ['created_by'] }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'login_failures',
        columns: [
          { name: 'key', type: 'varchar', length: '400', isPrimary: true },
          { name: 'failures', type: 'integer' },
          { name: 'window_started_at', type: 'bigint' },
          { name: 'blocked_until', type: 'bigint', isNullable: true },
        ],
      }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('login_failures');
    await queryRunner.dropTable('api_keys');
    await queryRunner.dropTable('refresh_tokens');
    await queryRunner.dropTable('staff_users');
  }
}

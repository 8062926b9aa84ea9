import { type MigrationInterface, type QueryRunner, Table, TableForeignKey, TableIndex } from 'typeorm';

/**
 * Subscribers (minimal), the vault's key-check table, company credentials and the MiSP login.
 * Written with the Table API and portable types only, so the same file runs on SQLite and PostgreSQL.
 * Instants are epoch-ms `bigint` (see src/database/columns.ts).
 */
export class VaultAndCredentials1795884234261 implements MigrationInterface {
  name = 'VaultAndCredentials1795884234261';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'subscribers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ipaas_company_id', type: 'varchar', length: '64' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'quota_exhausted_until', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'subscribers',
      new TableIndex({
        name: 'UQ_subscribers_ipaas_company_id',
        columnNames: ['ipaas_company_id'],
        isUnique: true,
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'vault_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '32', isPrimary: true },
          { name: 'check_value', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'company_credentials',
        columns: [
          { name: 'subscriber_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '20' },
          { name: 'api_key_sealed', type: 'text', isNullable: true },
          { name: 'access_token_sealed', type: 'text', isNullable: true },
          { name: 'refresh_token_sealed', type: 'text', isNullable: true },
          { name: 'key_id', type: 'varchar', length: '32' },
          { name: 'last4', type: 'varchar', length: '4' },
          { name: 'expires_at', type: 'bigint', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'invalid_reason', type: 'varchar', length: '500', isNullable: true },
          { name: 'last_verified_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createForeignKey(
      'company_credentials',
      new TableForeignKey({
        name: 'FK_company_credentials_subscriber_id',
        columnNames: ['subscriber_id'],
        referencedTableName: 'subscribers',
        referencedColumnNames: ['id'],
        onDelete: 'CASCADE',
      }),
    );
    await queryRunner.createIndex(
      'company_credentials',
      new TableIndex({ name: 'IDX_company_credentials_key_id', columnNames: ['key_id'] }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'misp_accounts',
        columns: [
          { name: 'id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'email', type: 'varchar', length: '320' },
          { name: 'password_sealed', type: 'text' },
          { name: 'vendor_user_id', type: 'integer', isNullable: true },
          { name: 'verified_at', type: 'bigint', isNullable: true },
          { name: 'key_id', type: 'varchar', length: '32' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'misp_accounts',
      new TableIndex({ name: 'IDX_misp_accounts_key_id', columnNames: ['key_id'] }),
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('misp_accounts');
    await queryRunner.dropTable('company_credentials');
    await queryRunner.dropTable('vault_keys');
    await queryRunner.dropTable('subscribers');
  }
}

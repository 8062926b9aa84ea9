import {
  alertDestinationOwner,
  mispOwner,
  type SecretKind,
  type SecretOwner,
  subscriberOwner,
  webhookSourceOwner,
} from './vault.types';

/** One table that holds sealed values: how to find its rows, whose they are and what each column is. */
export interface SealedTable {
  table: string;
  /** Primary key; also what the owner id is derived from. */
  idColumn: string;
  /** The kid every sealed column of the row is under (rows are always sealed as a whole). */
  keyIdColumn: string;
  ownerOf(id: string): SecretOwner;
  columns: readonly { column: string; kind: SecretKind }[];
}

/**
 * Every sealed column in the database. The boot check (kids in use) and rotation work from this list, which
 * keeps the vault free of imports from the modules that own the tables. A new sealed column must be added
 * here; test/e2e/vault.e2e-spec.ts fails when an entity has a `*_sealed` column this list does not name.
 */
export const SEALED_TABLES: readonly SealedTable[] = [
  {
    table: 'company_credentials',
    idColumn: 'subscriber_id',
    keyIdColumn: 'key_id',
    ownerOf: subscriberOwner,
    columns: [
      { column: 'api_key_sealed', kind: 'company_api_key' },
      { column: 'access_token_sealed', kind: 'company_access_token' },
      { column: 'refresh_token_sealed', kind: 'company_refresh_token' },
    ],
  },
  {
    table: 'misp_accounts',
    idColumn: 'id',
    keyIdColumn: 'key_id',
    ownerOf: mispOwner,
    columns: [{ column: 'password_sealed', kind: 'misp_password' }],
  },
  {
    table: 'alert_destinations',
    idColumn: 'id',
    keyIdColumn: 'key_id',
    ownerOf: alertDestinationOwner,
    columns: [{ column: 'secret_sealed', kind: 'alert_signing_secret' }],
  },
  {
    table: 'webhook_source_secrets',
    idColumn: 'id',
    keyIdColumn: 'key_id',
    ownerOf: webhookSourceOwner,
    columns: [{ column: 'secret_sealed', kind: 'webhook_signing_secret' }],
  },
];

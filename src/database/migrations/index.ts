import type { MigrationInterface } from 'typeorm';

import { VaultAndCredentials1795884234261 } from './1795884234261-VaultAndCredentials';
import { StaffAuth1795900000000 } from './1795900000000-StaffAuth';
import { AuditTrail1795900100000 } from './1795900100000-AuditTrail';
import { SubscriberRegistry1795900200000 } from './1795900200000-SubscriberRegistry';
import { ProvisioningTemplates1795900300000 } from './1795900300000-ProvisioningTemplates';
import { ProvisioningLedger1795900400000 } from './1795900400000-ProvisioningLedger';
import { HealthChecks1795900500000 } from './1795900500000-HealthChecks';
import { Alerts1795900600000 } from './1795900600000-Alerts';
import { Webhooks1795900700000 } from './1795900700000-Webhooks';
import { ClusterLeases1795900800000 } from './1795900800000-ClusterLeases';
import { ApiKeyOwners1795901000000 } from './1795901000000-ApiKeyOwners';
import { LoginAttemptSlots1795901100000 } from './1795901100000-LoginAttemptSlots';
import { WebhookSignedDigest1795901500000 } from './1795901500000-WebhookSignedDigest';
import { ProvisioningWaitingAndRuns1795902000000 } from './1795902000000-ProvisioningWaitingAndRuns';

/** Where the migrations live, for messages that tell a developer where to look. */
export const MIGRATIONS_LIST_PATH = 'src/database/migrations/index.ts';

/**
 * Every committed migration, oldest first: the one list the app, the TypeORM CLI (data-source.ts) and the tests
 * hand to TypeORM.
 *
 * An explicit list rather than a glob, and under src/ rather than beside it, because a glob names files relative
 * to wherever the code happens to run from, and each start path compiles a different set of folders: `nest start`
 * and `nest start --watch` (swc) compile only src/ into dist/src/, `npm run build` used to add a second swc pass
 * for a top-level migrations/ folder, ts-node and Jest read the .ts files in place. A glob at dist/migrations
 * found nothing after `nest start` on a fresh clone, and the first query failed with "no such table". Imported
 * classes are compiled, bundled or transpiled by whatever loads this file, so every start path gets the same
 * migrations or fails to compile; there is no folder left to miss.
 *
 * A new migration (`npm run migration:generate -- src/database/migrations/<Name>`) must be added here:
 * migrations-list.spec.ts fails while a file in this folder is not listed (or a migration file lies elsewhere).
 */
export const MIGRATIONS: readonly (new () => MigrationInterface)[] = [
  VaultAndCredentials1795884234261,
  StaffAuth1795900000000,
  AuditTrail1795900100000,
  SubscriberRegistry1795900200000,
  ProvisioningTemplates1795900300000,
  ProvisioningLedger1795900400000,
  HealthChecks1795900500000,
  Alerts1795900600000,
  Webhooks1795900700000,
  ClusterLeases1795900800000,
  ApiKeyOwners1795901000000,
  LoginAttemptSlots1795901100000,
  WebhookSignedDigest1795901500000,
  ProvisioningWaitingAndRuns1795902000000,
];

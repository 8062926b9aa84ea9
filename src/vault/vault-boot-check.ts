import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { Clock } from '../common/time/clock';
import { KeyRing } from './crypto/key-ring';
import { VaultBootError } from './key-ring.loader';
import { SEALED_TABLES } from './sealed-columns';
import { SealedRowsRepository } from './sealed-rows.repository';
import { VaultKeysRepository } from './vault-keys.repository';

/**
 * Refuses to start (before serving traffic or writing a secret) when the loaded keys cannot open what is
 * stored: a kid used by stored rows is not loaded, or a loaded kid is not the key it was when first seen.
 * Runs in onModuleInit, after TypeORM applied the migrations.
 */
@Injectable()
export class VaultBootCheck implements OnModuleInit {
  constructor(
    private readonly ring: KeyRing,
    private readonly keys: VaultKeysRepository,
    private readonly sealedRows: SealedRowsRepository,
    private readonly clock: Clock,
    @InjectPinoLogger(VaultBootCheck.name) private readonly logger: PinoLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.check();
  }

  async check(): Promise<void> {
    const problems = [...(await this.changedKeys()), ...(await this.missingKeys())];
    if (problems.length > 0) {
      throw new VaultBootError(
        `Vault refuses to start:\n${problems.map((line) => `  - ${line}`).join('\n')}`,
      );
    }
    await this.recordNewKeys();
    this.logger.info(
      { activeKeyId: this.ring.activeKeyId, keyIds: this.ring.keyIds },
      'Vault key ring checked against the database',
    );
  }

  private async changedKeys(): Promise<string[]> {
    const recorded = new Map((await this.keys.findAll()).map((record) => [record.kid, record.checkValue]));
    return this.ring.keyIds
      .filter((kid) => recorded.has(kid) && recorded.get(kid) !== this.ring.checkValue(kid))
      .map(
        (kid) =>
          `key id ${kid} is loaded with a different key than the one recorded for it (key-check value differs); ` +
          `restore the original ${kid} key, or add the new key under a new key id`,
      );
  }

  private async missingKeys(): Promise<string[]> {
    const inUse = new Map<string, number>();
    for (const table of SEALED_TABLES) {
      for (const [kid, count] of await this.sealedRows.countByKeyId(table)) {
        inUse.set(kid, (inUse.get(kid) ?? 0) + count);
      }
    }
    const loaded = new Set(this.ring.keyIds);
    return [...inUse]
      .filter(([kid]) => !loaded.has(kid))
      .map(
        ([kid, count]) =>
          `key id ${kid} is used by ${count} stored secret row(s) but is not loaded; add it back to VAULT_KEYS ` +
          `and run \`npm run cli -- vault:rotate\` before removing it`,
      );
  }

  private async recordNewKeys(): Promise<void> {
    for (const kid of this.ring.keyIds) {
      await this.keys.insertIfAbsent({
        kid,
        checkValue: this.ring.checkValue(kid),
        createdAt: this.clock.now(),
      });
      // Another instance may have recorded the same kid at the same moment, with a different key.
      const stored = await this.keys.findByKid(kid);
      if (stored?.checkValue !== this.ring.checkValue(kid)) {
        throw new VaultBootError(
          `Vault refuses to start: key id ${kid} was just recorded with a different key`,
        );
      }
    }
  }
}

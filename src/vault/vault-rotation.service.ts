import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { SEALED_TABLES, type SealedTable } from './sealed-columns';
import { type SealedRow, SealedRowsRepository } from './sealed-rows.repository';
import { VaultService } from './vault.service';

export interface RotationCounts {
  activeKeyId: string;
  /** Rows read that were not under the active kid. */
  scanned: number;
  /** Rows re-sealed under the active kid. */
  rotated: number;
  /** Rows changed by someone else between read and write (left alone; already under the active kid). */
  skipped: number;
  /** Rows whose values did not open (left alone, logged by id). */
  failed: number;
}

export const DEFAULT_ROTATION_BATCH_SIZE = 100;

/**
 * Re-seals every stored value that is not under the active kid, row by row with compare-and-swap. Safe to
 * kill at any point and to run again: each row is one atomic UPDATE, and rows already under the active kid
 * are not even read. When it reports 0 failed, the old kids can be removed from VAULT_KEYS.
 */
@Injectable()
export class VaultRotationService {
  constructor(
    private readonly vault: VaultService,
    private readonly sealedRows: SealedRowsRepository,
    @InjectPinoLogger(VaultRotationService.name) private readonly logger: PinoLogger,
  ) {}

  async rotate(
    options: { batchSize?: number; onBatch?: (counts: RotationCounts) => void } = {},
  ): Promise<RotationCounts> {
    const batchSize = options.batchSize ?? DEFAULT_ROTATION_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new AppError(ErrorCode.BAD_REQUEST, 'batchSize must be a positive integer');
    }
    const counts: RotationCounts = {
      activeKeyId: this.vault.activeKeyId,
      scanned: 0,
      rotated: 0,
      skipped: 0,
      failed: 0,
    };
    for (const table of SEALED_TABLES) {
      let afterId: string | null = null;
      for (;;) {
        const rows = await this.sealedRows.findNotUnderKey(table, counts.activeKeyId, afterId, batchSize);
        if (rows.length === 0) {
          break;
        }
        for (const row of rows) {
          counts.scanned += 1;
          await this.rotateRow(table, row, counts);
        }
        afterId = rows[rows.length - 1]?.id ?? null;
        options.onBatch?.({ ...counts });
      }
    }
    this.logger.info(counts, 'Vault rotation finished');
    return counts;
  }

  private async rotateRow(table: SealedTable, row: SealedRow, counts: RotationCounts): Promise<void> {
    const owner = table.ownerOf(row.id);
    let envelopes: Record<string, string | null>;
    try {
      envelopes = Object.fromEntries(
        table.columns.map(({ column, kind }) => {
          const envelope = row.envelopes[column] ?? null;
          return [
            column,
            envelope === null
              ? null
              : this.vault.seal({ owner, kind }, this.vault.open({ owner, kind }, envelope)),
          ];
        }),
      );
    } catch (error) {
      if (error instanceof AppError && error.code === ErrorCode.VAULT_DECRYPT_FAILED) {
        counts.failed += 1;
        this.logger.error({ table: table.table, id: row.id, kid: row.keyId }, 'Rotation: row left as is');
        return;
      }
      throw error;
    }
    const swapped = await this.sealedRows.compareAndSwap(table, row, {
      keyId: counts.activeKeyId,
      envelopes,
    });
    if (swapped) {
      counts.rotated += 1;
    } else {
      counts.skipped += 1;
    }
  }
}

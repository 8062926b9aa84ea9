import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { EnvelopeError, envelopeKeyId, openEnvelope, sealEnvelope } from './crypto/envelope';
import { KeyRing } from './crypto/key-ring';
import type { SealContext } from './vault.types';

/**
 * The only code that decrypts. Seals under the active kid; opens under whichever loaded kid the envelope
 * names. Failures become AppErrors whose detail names neither the secret nor the key.
 */
@Injectable()
export class VaultService {
  constructor(
    private readonly ring: KeyRing,
    @InjectPinoLogger(VaultService.name) private readonly logger: PinoLogger,
  ) {}

  get activeKeyId(): string {
    return this.ring.activeKeyId;
  }

  seal(context: SealContext, plaintext: string): string {
    const { kid, key } = this.ring.activeKey;
    try {
      return sealEnvelope({ kid, key, context, plaintext });
    } catch (error) {
      if (error instanceof EnvelopeError && error.reason === 'invalid_plaintext') {
        throw new AppError(ErrorCode.UNPROCESSABLE, 'The secret is not well-formed Unicode text');
      }
      throw error;
    }
  }

  open(context: SealContext, envelope: string): string {
    try {
      return openEnvelope({ envelope, context, keyFor: (kid) => this.ring.keyFor(kid) });
    } catch (error) {
      if (!(error instanceof EnvelopeError)) {
        throw error;
      }
      // Owner, kind and kid are identifiers, not secrets: they tell an operator which row to look at.
      this.logger.error(
        { owner: context.owner, kind: context.kind, kid: this.safeKeyId(envelope), reason: error.reason },
        'A sealed value failed to open',
      );
      throw new AppError(ErrorCode.VAULT_DECRYPT_FAILED, 'A stored secret could not be decrypted');
    }
  }

  /** The kid an envelope was sealed under (no decryption). */
  keyIdOf(envelope: string): string {
    return envelopeKeyId(envelope);
  }

  private safeKeyId(envelope: string): string | null {
    try {
      return envelopeKeyId(envelope);
    } catch {
      return null;
    }
  }
}

import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, relative, sep } from 'node:path';

import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppConfig } from '../config/app-config';
import { KeyRing, KeyRingError } from './crypto/key-ring';

const DEV_KEY_ID = 'dev1';
const FILE_HEADER =
  '# Tenantry development vault key ring (VAULT_KEYS format, one key per line).\n' +
  '# Generated because VAULT_KEYS was empty. Never use it in production; losing it loses every stored secret.\n';

/** Raised when the vault cannot start; the message names the problem and the kid, never key bytes. */
export class VaultBootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultBootError';
  }
}

/**
 * Builds the key ring at boot: from VAULT_KEYS when set; otherwise (development and tests only, config
 * refuses production without VAULT_KEYS) from a generated key file, so `npm start` needs no setup.
 */
@Injectable()
export class KeyRingLoader {
  constructor(
    private readonly config: AppConfig,
    @InjectPinoLogger(KeyRingLoader.name) private readonly logger: PinoLogger,
  ) {}

  load(): KeyRing {
    const { keys, activeKey, keyFile, dataFolder, legacyKeyFile } = this.config.vault;
    if (keys !== undefined) {
      return this.parse(keys, activeKey, 'VAULT_KEYS');
    }
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    if (legacyKeyFile !== null) {
      this.moveLegacyFile(keyFile, legacyKeyFile);
    }
    if (dataFolder !== null && isInside(keyFile, dataFolder)) {
      this.logger.warn(
        { keyFile, dataFolder },
        'VAULT_KEY_FILE is inside the database folder: a backup or copy of that folder carries the key with ' +
          'the secrets it opens. Move the file elsewhere and point VAULT_KEY_FILE at it.',
      );
    }
    return this.parse(this.readOrCreateFile(keyFile), activeKey, keyFile);
  }

  /**
   * Development key rings used to be generated into ./data, beside the database. When the default file does
   * not exist yet but the old one does, it is moved (copied exclusively, then removed), so existing setups
   * keep opening their secrets; the warning says where it went.
   */
  private moveLegacyFile(keyFile: string, legacy: string): void {
    if (existsSync(keyFile) || !existsSync(legacy)) {
      return;
    }
    if (this.createExclusively(keyFile, readFileSync(legacy, 'utf8'))) {
      rmSync(legacy, { force: true });
      this.logger.warn(
        { from: legacy, keyFile },
        'Moved the development vault key file out of the data folder (the new default VAULT_KEY_FILE); keep ' +
          'it apart from copies and backups of the database',
      );
    }
  }

  private parse(text: string, activeKey: string | undefined, source: string): KeyRing {
    try {
      return KeyRing.parse(text, activeKey);
    } catch (error) {
      if (error instanceof KeyRingError) {
        throw new VaultBootError(`Vault: ${source}: ${error.message}`);
      }
      throw error;
    }
  }

  private readOrCreateFile(path: string): string {
    if (this.createExclusively(path, `${FILE_HEADER}${KeyRing.generateText(DEV_KEY_ID)}\n`)) {
      this.logger.warn(
        { keyFile: path, kid: DEV_KEY_ID },
        'VAULT_KEYS is not set: generated a DEVELOPMENT vault key into the key file. Set VAULT_KEYS for any ' +
          'real deployment; secrets sealed with this key are lost if the file is lost.',
      );
    } else {
      this.tightenPermissions(path);
      this.logger.warn({ keyFile: path }, 'VAULT_KEYS is not set: using the development vault key file');
    }
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0 && !line.startsWith('#'))
      .join(',');
  }

  /**
   * Writes a temp file, then hard-links it into place: the link appears complete or not at all and fails if
   * the file exists, so two processes starting at once never read a half-written ring or overwrite one.
   */
  private createExclusively(path: string, content: string): boolean {
    const temporary = `${path}.${randomUUID()}.tmp`;
    writeFileSync(temporary, content, { flag: 'wx', mode: 0o600 });
    try {
      linkSync(temporary, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        return false;
      }
      throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
  }

  private tightenPermissions(path: string): void {
    // A copied or hand-made key file may be world-readable; it holds raw keys.
    if ((statSync(path).mode & 0o077) !== 0) {
      chmodSync(path, 0o600);
      this.logger.warn({ keyFile: path }, 'Vault key file was readable by others: permissions set to 0600');
    }
  }
}

function isInside(path: string, folder: string): boolean {
  const fromFolder = relative(folder, path);
  return fromFolder !== '' && !fromFolder.startsWith(`..${sep}`) && fromFolder !== '..';
}

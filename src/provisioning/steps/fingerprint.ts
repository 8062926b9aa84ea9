import { fingerprintOf } from '../../common/canonical-json';

/** sha256 (hex) of the canonical JSON of what was observed; null when nothing existed. */
export function fingerprint(observed: unknown): string | null {
  return observed === null ? null : fingerprintOf(observed);
}

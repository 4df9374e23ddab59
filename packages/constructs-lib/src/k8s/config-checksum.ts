import { createHash } from 'crypto';
import { PLATFORM_ANNOTATIONS } from '../naming/naming';

/** Pod-template annotation carrying the hash of the configuration files the pods mount. */
export const CONFIG_CHECKSUM_ANNOTATION = PLATFORM_ANNOTATIONS.configChecksum;

/**
 * `{ 'optibid.io/config-sha256': <sha256> }` over the given ConfigMap `data` maps (keys sorted).
 *
 * Why: files mounted with `subPath` never see a ConfigMap update, and none of these servers watch their files, so a
 * config change applied alone would silently never take effect. With the hash in the pod template the same
 * `kubectl apply` rolls the pods (within their PDB and update strategy), and the reviewer sees the roll in the diff.
 */
export function configChecksum(...data: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  return { [CONFIG_CHECKSUM_ANNOTATION]: contentHash(...data) };
}

/** sha256 (hex) over string maps, keys sorted: the same content always gives the same hash. */
export function contentHash(...data: ReadonlyArray<Readonly<Record<string, string>>>): string {
  const hash = createHash('sha256');
  for (const d of data) {
    for (const key of Object.keys(d).sort()) hash.update(`${key}\0${d[key]}\0`);
    hash.update('\n');
  }
  return hash.digest('hex');
}

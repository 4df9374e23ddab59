/** Images pinned to a version tag or a digest. */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { containersOf, podTemplates } from '@optibid/rendered';

const NAME = 'pinned-images';

export interface ImageReference {
  /** Registry and repository, e.g. `registry:5000/team/app`. */
  readonly name: string;
  readonly tag?: string;
  /** What follows `@`, e.g. `sha256:<hex>`. */
  readonly digest?: string;
}

/** Splits `registry:port/repo:tag@sha256:...` (the `:` of a registry port is not a tag). */
export function parseImageReference(image: string): ImageReference {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const name = tag !== undefined ? rest.slice(0, colon) : rest;
  return { name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Why an image is not pinned, or undefined when it is. */
export function imagePinningProblem(image: unknown): string | undefined {
  if (typeof image !== 'string' || !image.trim()) return 'image is not set';
  const { tag, digest } = parseImageReference(image);
  if (digest !== undefined && !DIGEST.test(digest)) return `image "${image}" has a malformed digest: expected @sha256:<64 lower-case hex>`;
  if (tag !== undefined && tag.toLowerCase() === 'latest') {
    return digest !== undefined
      ? `image "${image}" is tagged latest next to its digest, which is misleading: tag it with the version the digest is`
      : `image "${image}" uses the mutable tag latest: pin a version tag or an @sha256 digest`;
  }
  if (tag === '') return `image "${image}" has an empty tag: pin a version tag or an @sha256 digest`;
  if (tag === undefined && digest === undefined) return `image "${image}" has neither tag nor digest (so it means latest): pin a version tag or an @sha256 digest`;
  return undefined;
}

export const pinnedImages: PolicyCheck = {
  name: NAME,
  description:
    'Every container image carries an explicit version tag other than latest, or an @sha256 digest, so a rollout or a node restart never pulls different code than was reviewed.',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      for (const { container, ref } of containersOf(t.spec)) {
        const problem = imagePinningProblem(container.image);
        if (problem) findings.push(finding(NAME, t.owner, `${ref}: ${problem}`));
      }
    }
    return findings;
  },
};

/**
 * Volumes of database pods: the data directory's mode survives a pod re-creation, and shared memory is sized.
 *
 * - fsgroup-change-policy: with a pod `fsGroup`, kubelet changes ownership and mode of every file of a volume that
 *   supports it (the EBS CSI driver declares fsGroupPolicy File) on every mount, adding group rw (and setgid, g+x on
 *   directories), unless `fsGroupChangePolicy: OnRootMismatch` lets it skip a volume whose root already matches
 *   (kubernetes/kubernetes pkg/volume/volume_linux.go: SetVolumeOwnership, skipPermissionChange,
 *   requiresPermissionChange). PostgreSQL refuses a data directory with group write (postgres/postgres REL_17_STABLE
 *   src/backend/utils/init/miscinit.c checkDataDir: "has invalid permissions"). The rule is about the programs that
 *   check their data directory's mode (PostgreSQL images), not every volume: for others the recursive pass only
 *   slows the mount.
 * - shared-memory: a memory-backed emptyDir is tmpfs whose pages are charged to the memory cgroup of the container that
 *   writes them (Kubernetes docs, Volumes, emptyDir: "files you write count against your container's memory limit"),
 *   so it needs a sizeLimit no larger than the memory limit of every container mounting it; and a long-running
 *   PostgreSQL server gets one at /dev/shm, where its dynamic shared memory (dynamic_shared_memory_type posix) lives,
 *   instead of the container runtime's 64 MiB default.
 */
import { finding, type Finding, type PolicyCheck, type RenderedObject } from './policy-check';
import { asArray, containersOf, isRecord, LONG_RUNNING_KINDS, podTemplates, type Container, type PodTemplate } from '@optibid/rendered';
import { compareQuantities, parseExactQuantity } from '@optibid/rendered';

/** Image repositories of PostgreSQL servers (the last path segment, without tag or digest). */
const POSTGRES_IMAGE = /^(postgres|postgresql|postgis|timescaledb|timescaledb-ha)$/;

export function imageRepositoryName(image: unknown): string {
  if (typeof image !== 'string') return '';
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const name = noDigest.slice(lastSlash + 1);
  return name.split(':')[0];
}

/** A container of a PostgreSQL image (a server, or a helper of the same image such as pgBackRest). */
export function runsPostgresImage(c: Container): boolean {
  return POSTGRES_IMAGE.test(imageRepositoryName(c.image));
}

/**
 * The PostgreSQL server itself: a PostgreSQL image that declares the PostgreSQL port (5432, or a port named
 * postgres/postgresql), or runs the image's own command (which starts the server).
 */
export function servesPostgres(c: Container): boolean {
  if (!runsPostgresImage(c)) return false;
  const ports = asArray<any>(c.ports).filter(isRecord);
  if (ports.some((p) => p.containerPort === 5432 || p.name === 'postgres' || p.name === 'postgresql')) return true;
  return c.command === undefined && ports.length === 0;
}

/** Names of the pod's volumes backed by a PersistentVolumeClaim: StatefulSet claim templates and claim volumes. */
function persistentVolumeNames(t: PodTemplate): Set<string> {
  const out = new Set<string>();
  if (t.owner.obj.kind === 'StatefulSet') for (const c of asArray<any>(t.owner.obj.spec?.volumeClaimTemplates)) if (isRecord(c) && typeof c.metadata?.name === 'string') out.add(c.metadata.name);
  for (const v of asArray<any>(t.spec.volumes)) if (isRecord(v) && isRecord(v.persistentVolumeClaim) && typeof v.name === 'string') out.add(v.name);
  return out;
}

function mountsOf(c: Container): { name?: string; mountPath?: string; subPath?: string }[] {
  return asArray<any>(c.volumeMounts).filter(isRecord);
}

const FSGROUP = 'fsgroup-change-policy';

export const fsGroupChangePolicy: PolicyCheck = {
  name: FSGROUP,
  description:
    'A pod with securityContext.fsGroup whose PostgreSQL container mounts a persistent volume sets securityContext.fsGroupChangePolicy OnRootMismatch: ' +
    'otherwise kubelet re-applies group rw and setgid to every file on every mount (pkg/volume/volume_linux.go) and PostgreSQL refuses the group-writable data directory (miscinit.c checkDataDir).',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      const sc = isRecord(t.spec.securityContext) ? t.spec.securityContext : {};
      if (sc.fsGroup === undefined || sc.fsGroup === null) continue;
      const persistent = persistentVolumeNames(t);
      for (const { container, ref } of containersOf(t.spec, ['container', 'initContainer'])) {
        if (!runsPostgresImage(container)) continue;
        const mounted = mountsOf(container).filter((m) => typeof m.name === 'string' && persistent.has(m.name));
        if (!mounted.length || sc.fsGroupChangePolicy === 'OnRootMismatch') continue;
        findings.push(
          finding(
            FSGROUP,
            t.owner,
            `${t.specPath}.securityContext: fsGroup ${sc.fsGroup} with fsGroupChangePolicy ${sc.fsGroupChangePolicy === undefined ? 'unset (Always)' : JSON.stringify(sc.fsGroupChangePolicy)}, and ${ref} (a PostgreSQL image) mounts the persistent volume "${mounted[0].name}" at ${mounted[0].mountPath}: ` +
              'kubelet makes its data directory group-writable on every mount and PostgreSQL refuses to start; set fsGroupChangePolicy: OnRootMismatch',
          ),
        );
        break;
      }
    }
    return findings;
  },
};

const SHM = 'shared-memory';

export const sharedMemory: PolicyCheck = {
  name: SHM,
  description:
    'Every memory-backed emptyDir sets a sizeLimit no larger than the memory limit of each container mounting it (its pages count against that container\'s memory limit), ' +
    'and every long-running PostgreSQL container mounts one at /dev/shm (its dynamic shared memory; the container runtime gives 64 MiB).',
  run(objects: readonly RenderedObject[]): Finding[] {
    const findings: Finding[] = [];
    for (const t of podTemplates(objects)) {
      const memoryVolumes = new Map<string, Record<string, any>>();
      for (const v of asArray<any>(t.spec.volumes)) if (isRecord(v) && typeof v.name === 'string' && isRecord(v.emptyDir) && v.emptyDir.medium === 'Memory') memoryVolumes.set(v.name, v.emptyDir);
      for (const [name, emptyDir] of memoryVolumes) {
        const size = parseExactQuantity(emptyDir.sizeLimit);
        if (!size) {
          findings.push(finding(SHM, t.owner, `${t.specPath}.volumes "${name}": a memory-backed emptyDir without a valid sizeLimit (${JSON.stringify(emptyDir.sizeLimit)}) may grow to the pod's memory limit`));
          continue;
        }
        for (const { container, ref } of containersOf(t.spec, ['container', 'initContainer'])) {
          if (!mountsOf(container).some((m) => m.name === name)) continue;
          const limit = parseExactQuantity(isRecord(container.resources) && isRecord(container.resources.limits) ? container.resources.limits.memory : undefined);
          if (limit && compareQuantities(size, limit) > 0) {
            findings.push(
              finding(SHM, t.owner, `${t.specPath}.volumes "${name}": sizeLimit ${emptyDir.sizeLimit} exceeds the memory limit ${String((container.resources as any).limits.memory)} of ${ref}, which is charged for its pages: the container is OOM-killed before the volume is full`),
            );
          }
        }
      }
      if (!LONG_RUNNING_KINDS.has(t.owner.obj.kind)) continue;
      for (const { container, ref } of containersOf(t.spec, ['container'])) {
        if (!servesPostgres(container)) continue;
        const shm = mountsOf(container).find((m) => m.mountPath === '/dev/shm' && !m.subPath);
        if (!shm || typeof shm.name !== 'string' || !memoryVolumes.has(shm.name)) {
          findings.push(
            finding(SHM, t.owner, `${ref} (PostgreSQL) has no memory-backed emptyDir at /dev/shm: its dynamic shared memory gets the container runtime's 64 MiB and parallel queries fail with "could not resize shared memory segment"`),
          );
        }
      }
    }
    return findings;
  },
};

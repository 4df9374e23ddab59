import * as path from 'path';
import { ENVIRONMENT_INPUTS, loadEnvironment } from '@optibid/constructs-lib';
import { renderEnvironmentManifests } from '@optibid/k8s-manifests';
import { loadK8sDir as loadEnvironmentDir, parseRenderedFiles } from '@optibid/rendered';
import { flagValue, parseFluentBitClassic, parseRedisConf, writablePaths } from '../../src/checks/policy/writable-paths';
import type { KubeObject, RenderedObject } from '@optibid/rendered';
import { compliantSet, DIGEST, ENV, expectClean, expectFinding, ref, rendered, withExtra } from './policy-support';

const check = writablePaths;
const AGENTS = 'monitoring-agents';
const FLUENT_BIT = ref('DaemonSet', 'fluent-bit', AGENTS);

const fluentBitConf = (db: string, storagePath = '/var/fluent-bit/buffer') => `[SERVICE]
    Flush             5
    storage.path      ${storagePath}

[INPUT]
    Name              tail
    Path              /var/log/containers/*.log
    db                ${db}
    storage.type      filesystem

[OUTPUT]
    Name              es
    Match             *
`;

function configMap(name: string, ns: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
}

/** A Fluent Bit DaemonSet shaped like the platform's: host state dir writable, config from a ConfigMap. */
function fluentBit(stateReadOnly = false): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'fluent-bit', namespace: AGENTS },
    spec: {
      selector: { matchLabels: { app: 'fluent-bit' } },
      template: {
        metadata: { labels: { app: 'fluent-bit' } },
        spec: {
          containers: [
            {
              name: 'fluent-bit',
              image: `cr.fluentbit.io/fluent/fluent-bit:4.0.3@${DIGEST}`,
              args: ['--config=/fluent-bit/etc/custom/fluent-bit.conf'],
              securityContext: { readOnlyRootFilesystem: true },
              volumeMounts: [
                { name: 'varlog', mountPath: '/var/log', readOnly: true },
                { name: 'state', mountPath: '/var/fluent-bit', ...(stateReadOnly ? { readOnly: true } : {}) },
                { name: 'config', mountPath: '/fluent-bit/etc/custom', readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
            { name: 'state', hostPath: { path: '/var/fluent-bit', type: 'DirectoryOrCreate' } },
            { name: 'config', configMap: { name: 'fluent-bit-config' } },
          ],
        },
      },
    },
  };
}

const fluentBitSet = (db: string, opts: { stateReadOnly?: boolean; storagePath?: string } = {}): RenderedObject[] =>
  withExtra(compliantSet(), configMap('fluent-bit-config', AGENTS, { 'fluent-bit.conf': fluentBitConf(db, opts.storagePath) }), fluentBit(opts.stateReadOnly));

function prometheus(args: string[]): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'prometheus', namespace: 'monitoring' },
    spec: {
      selector: { matchLabels: { app: 'prometheus' } },
      serviceName: 'prometheus',
      template: {
        metadata: { labels: { app: 'prometheus' } },
        spec: {
          containers: [
            {
              name: 'prometheus',
              image: `quay.io/prometheus/prometheus:v3.5.0@${DIGEST}`,
              args: ['--config.file=/etc/prometheus/prometheus.yml', ...args],
              securityContext: { readOnlyRootFilesystem: true },
              volumeMounts: [
                { name: 'data', mountPath: '/prometheus' },
                { name: 'config', mountPath: '/etc/prometheus/prometheus.yml', subPath: 'prometheus.yml', readOnly: true },
              ],
            },
          ],
          volumes: [{ name: 'config', configMap: { name: 'prometheus-config' } }],
        },
      },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  };
}

/** One environment rendered in memory from the current sources (nothing is written to dist/). */
function renderNow(env: string): RenderedObject[] {
  return parseRenderedFiles(env, renderEnvironmentManifests(loadEnvironment(env)));
}

describe('writable-paths', () => {
  test('a compliant set passes (no container runs a known writer)', () => {
    expectClean(check, compliantSet());
  });

  test('Fluent Bit with the DB directly in the mounted state dir and the buffer below it passes', () => {
    expectClean(check, fluentBitSet('/var/fluent-bit/tail.db'));
  });

  test('the old layout, DB in /var/fluent-bit/state with only /var/fluent-bit mounted, is a finding', () => {
    expectFinding(
      check,
      fluentBitSet('/var/fluent-bit/state/tail.db'),
      FLUENT_BIT,
      'container "fluent-bit": db /var/fluent-bit/state/tail.db (Fluent Bit tail input, SQLite) is a file whose directory /var/fluent-bit/state is no writable mount ' +
        '(mounts: /var/log ro, /var/fluent-bit, /fluent-bit/etc/custom ro); SQLite does not create directories',
    );
  });

  test('a DB in the directory that storage.path makes chunkio create (mkdir -p) passes', () => {
    expectClean(check, fluentBitSet('/var/fluent-bit/buffer/tail.db'));
    expectClean(check, fluentBitSet('/var/fluent-bit/state/tail.db', { storagePath: '/var/fluent-bit/state/buffer' }));
  });

  test('a read-only state mount is a finding for the DB and the buffer', () => {
    const set = fluentBitSet('/var/fluent-bit/tail.db', { stateReadOnly: true });
    expectFinding(check, set, FLUENT_BIT, 'db /var/fluent-bit/tail.db', 'is a file in read-only mount /var/fluent-bit');
    expectFinding(check, set, FLUENT_BIT, 'storage.path /var/fluent-bit/buffer (Fluent Bit filesystem buffer) is a directory in read-only mount /var/fluent-bit');
  });

  test('a buffer outside every mount is a finding (read-only root filesystem)', () => {
    expectFinding(check, fluentBitSet('/var/fluent-bit/tail.db', { storagePath: '/buffer' }), FLUENT_BIT, 'storage.path /buffer', 'outside every mount', 'the root filesystem is read-only');
  });

  test('a Prometheus TSDB path in the data volume passes, outside every mount is a finding', () => {
    expectClean(check, withExtra(compliantSet(), prometheus(['--storage.tsdb.path=/prometheus/tsdb'])));
    const set = withExtra(compliantSet(), prometheus(['--storage.tsdb.path', '/data']));
    expectFinding(check, set, ref('StatefulSet', 'prometheus', 'monitoring'), 'container "prometheus": --storage.tsdb.path /data (Prometheus TSDB) is a directory outside every mount (mounts: /prometheus, /etc/prometheus/prometheus.yml ro)');
  });

  test('a config ConfigMap that is not rendered is reported, not a crash', () => {
    const set = withExtra(compliantSet(), fluentBit());
    expectFinding(check, set, FLUENT_BIT, 'config file /fluent-bit/etc/custom/fluent-bit.conf cannot be read (ConfigMap "fluent-bit-config" is not in the rendered objects)');
    const wrongKey = withExtra(compliantSet(), configMap('fluent-bit-config', AGENTS, { 'other.conf': '' }), fluentBit());
    expectFinding(check, wrongKey, FLUENT_BIT, 'ConfigMap "fluent-bit-config" has no key for fluent-bit.conf');
  });

  test('a config file that is not from a ConfigMap is skipped', () => {
    const ds = fluentBit();
    ds.spec.template.spec.containers[0].args = ['-c', '/fluent-bit/etc/fluent-bit.conf'];
    expectClean(check, withExtra(compliantSet(), ds));
  });

  test('Redis: dir must be a writable mount, the nodes file must sit in one', () => {
    const redis = (): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'redis', namespace: 'optibid-data' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'redis',
                image: 'redis:7.4.11',
                command: ['/bin/sh', '/etc/redis/start.sh'],
                volumeMounts: [
                  { name: 'data', mountPath: '/data' },
                  { name: 'config', mountPath: '/etc/redis', readOnly: true },
                ],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'redis-config' } }],
          },
        },
      },
    });
    const cm = (dir: string) =>
      configMap('redis-config', 'optibid-data', {
        'start.sh': 'exec redis-server /etc/redis/redis.conf --port 6379\n',
        'redis.conf': `cluster-enabled yes\ncluster-config-file nodes.conf\ndir ${dir}\n`,
      });
    expectClean(check, withExtra(compliantSet(), cm('/data'), redis()));
    const set = withExtra(compliantSet(), cm('/data/redis'), redis());
    const obj = ref('StatefulSet', 'redis', 'optibid-data');
    expectFinding(check, set, obj, 'dir /data/redis (Redis working directory (AOF, RDB)) is a directory that must exist but is no writable mount', 'creates no directory');
    expectFinding(check, set, obj, 'cluster-config-file /data/redis/nodes.conf', 'is a file whose directory /data/redis is no writable mount');
  });

  test('the committed pre-fix Fluent Bit render (fixture) has the DB finding', () => {
    const objects = loadEnvironmentDir(path.join(__dirname, 'fixtures/writable-paths-fluent-bit-old'), ENV);
    expect(objects.map((o) => `${o.obj.kind}/${o.obj.metadata.name}`).sort()).toEqual(['ConfigMap/fluent-bit-config', 'DaemonSet/fluent-bit']);
    const f = expectFinding(check, objects, FLUENT_BIT, 'DB /var/fluent-bit/state/tail.db');
    expect(f.message).toBe(
      'container "fluent-bit": DB /var/fluent-bit/state/tail.db (Fluent Bit tail input, SQLite) is a file whose directory /var/fluent-bit/state is no writable mount ' +
        '(mounts: /var/log ro, /var/fluent-bit, /fluent-bit/etc/custom ro); SQLite does not create directories',
    );
    expect(check.run(objects)).toHaveLength(1);
  });

  test.each(ENVIRONMENT_INPUTS.map((e) => e.name))('the current render of %s has no finding', (env) => {
    const objects = renderNow(env);
    expect(objects.some((o) => o.obj.kind === 'DaemonSet' && o.obj.metadata.name === 'fluent-bit')).toBe(true);
    expect(check.run(objects).map((f) => `${f.object}: ${f.message}`)).toEqual([]);
  });

  test('checks every writer of the current production render (all mounts made read-only, each path is a finding)', () => {
    const objects = structuredClone(renderNow('production'));
    for (const o of objects) {
      for (const c of o.obj.spec?.template?.spec?.containers ?? []) for (const m of c.volumeMounts ?? []) m.readOnly = true;
    }
    const keys = check.run(objects).map((f) => `${f.object} ${f.message.split(' (')[0]}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        'DaemonSet/monitoring-agents/fluent-bit container "fluent-bit": storage.path /var/fluent-bit/buffer',
        'DaemonSet/monitoring-agents/fluent-bit container "fluent-bit": DB /var/fluent-bit/tail.db',
        'StatefulSet/monitoring/prometheus container "prometheus": --storage.tsdb.path /prometheus',
        'StatefulSet/monitoring/alertmanager container "alertmanager": --storage.path /alertmanager',
        'Deployment/monitoring/grafana container "grafana": GF_PATHS_DATA /var/lib/grafana',
        'StatefulSet/monitoring/jaeger container "jaeger": jaeger_storage.backends.main.badger.directories.keys /badger/keys',
        'StatefulSet/optibid-data/redis container "redis": dir /data',
      ]),
    );
  });
});

describe('writable-paths parsers', () => {
  test('flags: --flag=value and --flag value, last wins', () => {
    expect(flagValue(['--a=1', '--b', '2', '--a', '3'], '--a')).toEqual({ flag: '--a', value: '3' });
    expect(flagValue(['--b'], '--b')).toBeUndefined();
  });

  test('Fluent Bit classic config: sections upper-cased, keys as written, comments and @directives skipped', () => {
    expect(parseFluentBitClassic('# c\n@INCLUDE x.conf\n[service]\n  storage.path /a\n[INPUT]\n  Name tail\n  DB   /b/c.db\n')).toEqual([
      { section: 'SERVICE', entries: [{ key: 'storage.path', value: '/a' }] },
      { section: 'INPUT', entries: [{ key: 'Name', value: 'tail' }, { key: 'DB', value: '/b/c.db' }] },
    ]);
  });

  test('redis.conf: last directive wins, quotes stripped', () => {
    const conf = parseRedisConf('dir /a\n# dir /x\nDIR "/b"\n');
    expect(conf.get('dir')).toBe('/b');
  });

  test('tolerates malformed pods', () => {
    const odd = rendered({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'optibid' }, spec: { template: { spec: { containers: [{ name: 'p', image: 'prom/x', args: 'nope', volumeMounts: [null, { mountPath: 3 }] }, { name: 'f', image: 'fluent/fluent-bit:4', args: ['-c'], volumeMounts: 'x' }], volumes: [null] } } } });
    expect(() => check.run([...compliantSet(), odd])).not.toThrow();
  });
});

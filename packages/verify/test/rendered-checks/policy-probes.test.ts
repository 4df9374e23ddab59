import { probes } from '../../src/checks/policy/probes';
import { compliantSet, cronJob, deployment, expectClean, expectFinding, ref, rendered, withContainer, withExtra, withObject } from './policy-support';

const check = probes;
const DEPLOY = ref('Deployment', 'backend');

describe('probes', () => {
  test('a compliant set passes (the init container and the CronJob have no probes)', () => {
    expectClean(check, compliantSet());
  });

  test.each(['readinessProbe', 'livenessProbe'])('a Deployment container without %s is a finding', (probe) => {
    expectFinding(check, withContainer((c) => delete c[probe]), DEPLOY, `container "backend": ${probe} is required`);
  });

  test.each(['StatefulSet', 'DaemonSet'])('a %s container without probes has two findings', (kind) => {
    const workload = deployment('store');
    workload.kind = kind;
    for (const c of workload.spec.template.spec.containers) {
      delete c.readinessProbe;
      delete c.livenessProbe;
    }
    const set = withExtra(compliantSet(), workload);
    expectFinding(check, set, ref(kind, 'store'), 'container "store": readinessProbe is required', `of a ${kind}`);
    expectFinding(check, set, ref(kind, 'store'), 'container "store": livenessProbe is required');
  });

  test('init containers, Jobs, CronJobs and bare Pods are exempt', () => {
    const job = cronJob('once');
    const jobObj = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'optibid' }, spec: { template: job.spec.jobTemplate.spec.template } };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'optibid' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };
    expectClean(check, [...compliantSet(), rendered(jobObj), rendered(pod)]);
  });

  test('numeric probe ports and exec/grpc probes pass', () => {
    expectClean(
      check,
      withContainer((c) => {
        c.readinessProbe = { tcpSocket: { port: 8080 } };
        c.livenessProbe = { grpc: { port: 9090 } };
        c.startupProbe = { exec: { command: ['true'] } };
      }),
    );
  });

  test('a readiness probe on an unknown named port is a finding', () => {
    expectFinding(check, withContainer((c) => (c.readinessProbe.httpGet.port = 'metrics')), DEPLOY, 'container "backend": readinessProbe.httpGet.port "metrics" is not a named port of the container (named ports: http)');
  });

  test('a liveness tcpSocket probe on an unknown named port is a finding', () => {
    expectFinding(check, withContainer((c) => (c.livenessProbe = { tcpSocket: { port: 'grpc' } })), DEPLOY, 'container "backend": livenessProbe.tcpSocket.port "grpc" is not a named port');
  });

  test('a startup probe on a named port of a container without ports is a finding', () => {
    const set = withContainer((c) => {
      delete c.ports;
      c.readinessProbe = { exec: { command: ['true'] } };
      c.livenessProbe = { exec: { command: ['true'] } };
      c.startupProbe = { httpGet: { path: '/', port: 'http' } };
    });
    expectFinding(check, set, DEPLOY, 'startupProbe.httpGet.port "http"', 'it names no port');
  });

  test('a named port that another container declares does not count', () => {
    const set = withObject(compliantSet(), 'Deployment', 'backend', (d) => {
      const side = { ...d.spec.template.spec.containers[0], name: 'sidecar', ports: [] };
      d.spec.template.spec.containers.push(side);
    });
    expectFinding(check, set, DEPLOY, 'container "sidecar": readinessProbe.httpGet.port "http" is not a named port');
  });
});

import { imagePinningProblem, parseImageReference, pinnedImages } from '../../src/checks/policy/pinned-images';
import { compliantSet, DIGEST, expectClean, expectFinding, ref, withContainer, withObject } from './policy-support';

const check = pinnedImages;
const DEPLOY = ref('Deployment', 'backend');

describe('parseImageReference', () => {
  test.each([
    ['nginx', { name: 'nginx' }],
    ['nginx:1.27', { name: 'nginx', tag: '1.27' }],
    ['registry:5000/team/app', { name: 'registry:5000/team/app' }],
    ['registry:5000/team/app:2.0', { name: 'registry:5000/team/app', tag: '2.0' }],
    [`app@${DIGEST}`, { name: 'app', digest: DIGEST }],
    [`registry:5000/app:1.0@${DIGEST}`, { name: 'registry:5000/app', tag: '1.0', digest: DIGEST }],
  ])('%s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });
});

describe('pinned-images', () => {
  test('a compliant set (tag and digest) passes', () => {
    expectClean(check, compliantSet());
  });

  test.each([
    'registry.example.com/optibid/backend:1.4.2',
    `registry.example.com/optibid/backend@${DIGEST}`,
    'registry.example.com:5000/optibid/backend:1.4.2',
    'public.ecr.aws/docker/library/redis:7.2-alpine',
  ])('%s is pinned', (image) => {
    expect(imagePinningProblem(image)).toBeUndefined();
    expectClean(check, withContainer((c) => (c.image = image)));
  });

  test.each([
    ['registry.example.com/optibid/backend', 'has neither tag nor digest'],
    ['registry.example.com:5000/optibid/backend', 'has neither tag nor digest'],
    ['registry.example.com/optibid/backend:latest', 'uses the mutable tag latest'],
    ['registry.example.com/optibid/backend:LATEST', 'uses the mutable tag latest'],
    [`registry.example.com/optibid/backend:latest@${DIGEST}`, 'tagged latest next to its digest, which is misleading'],
    ['registry.example.com/optibid/backend@sha256:abc', 'malformed digest'],
    [`registry.example.com/optibid/backend@${DIGEST.toUpperCase()}`, 'malformed digest'],
    ['registry.example.com/optibid/backend:', 'has an empty tag'],
  ])('container image %s is a finding', (image, fragment) => {
    expectFinding(check, withContainer((c) => (c.image = image)), DEPLOY, `container "backend": image "${image}"`, fragment);
  });

  test('an init container image is checked', () => {
    expectFinding(check, withContainer((c) => (c.image = 'flyway/flyway'), 'initContainers'), DEPLOY, 'initContainer "migrate": image "flyway/flyway" has neither tag nor digest');
  });

  test('a CronJob image is checked', () => {
    const set = withObject(compliantSet(), 'CronJob', 'report', (c) => (c.spec.jobTemplate.spec.template.spec.containers[0].image = 'report:latest'));
    expectFinding(check, set, ref('CronJob', 'report'), 'container "report": image "report:latest" uses the mutable tag latest');
  });

  test('a missing image is a finding', () => {
    expectFinding(check, withContainer((c) => delete c.image), DEPLOY, 'container "backend": image is not set');
  });
});

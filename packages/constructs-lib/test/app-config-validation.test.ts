import { ConfigValidationError, validateEnvironmentConfig } from '../src/config/validate';
import type { EnvironmentConfigInput } from '../src/config/schema';
import { production } from '../src/environments';
import { appWorkloadFootprints, namespaceRequirement, peakPods } from '../src/sizing/namespace-footprint';

/** Production input with one change applied (deep copy: the shipped config is never touched). */
const prod = (change: (c: any) => void): EnvironmentConfigInput => {
  const c = structuredClone(production) as any;
  change(c);
  return c;
};

function expectViolation(input: unknown, field: string, message: RegExp): void {
  let thrown: unknown;
  try {
    validateEnvironmentConfig(input);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ConfigValidationError);
  expect((thrown as ConfigValidationError).violations).toContainEqual({ field, message: expect.stringMatching(message) });
}

describe('application, ingress and auth config rules', () => {
  test('HPA min above max', () => {
    expectViolation(prod((c) => (c.app.minReplicas = 11)), 'app.minReplicas', /minReplicas \(11\) must not exceed maxReplicas \(10\)/);
  });

  test('an explicit quota smaller than what HPA max plus surge needs', () => {
    const need = namespaceRequirement(appWorkloadFootprints(validateEnvironmentConfig(production)));
    // 13 pods of each workload at peak (10 + ceil(2.5)).
    expect(need.pods).toBe(2 * peakPods(10));
    expectViolation(prod((c) => (c.app.quota = { requestsCpu: '2', requestsMemory: '64Gi', limitsMemory: '64Gi' })), 'app.quota.requestsCpu', /2 is smaller than the 4550m the workloads need at HPA max plus surge/);
    expectViolation(prod((c) => (c.app.quota = { requestsCpu: '8', requestsMemory: '1Gi', limitsMemory: '64Gi' })), 'app.quota.requestsMemory', /smaller than the 9984Mi/);
    // A sufficient override is accepted.
    expect(() => validateEnvironmentConfig(prod((c) => (c.app.quota = { requestsCpu: '8', requestsMemory: '16Gi', limitsMemory: '32Gi' })))).not.toThrow();
  });

  test('an unknown namespace in a network policy peer', () => {
    expectViolation(prod((c) => (c.app.extraBackendClientNamespaces = ['batch-jobs'])), 'app.extraBackendClientNamespaces.0', /unknown namespace 'batch-jobs' in a network policy peer/);
    expect(() => validateEnvironmentConfig(prod((c) => (c.app.extraBackendClientNamespaces = ['monitoring'])))).not.toThrow();
  });

  test.each(['App.OptiBid.energy', 'app_optibid.energy', 'localhost', '-app.optibid.energy', 'app..optibid.energy'])('invalid hostname %s', (host) => {
    expectViolation(prod((c) => (c.ingress.appHost = host)), 'ingress.appHost', /must be a lowercase DNS name/);
  });

  test('hosts outside the DNS zone cannot get a certificate', () => {
    expectViolation(prod((c) => (c.ingress.apiHost = 'api.example.com')), 'ingress.apiHost', /not inside the DNS zone optibid.energy/);
  });

  test('app and API on the same host', () => {
    expectViolation(prod((c) => (c.ingress.apiHost = c.ingress.appHost)), 'ingress.apiHost', /must differ from appHost/);
  });

  test("images: 'latest', a missing digest, a malformed repository", () => {
    expectViolation(prod((c) => (c.app.backend.image.tag = 'latest')), 'app.backend.image.tag', /not 'latest'/);
    expectViolation(prod((c) => (c.app.frontend.image.digest = 'sha256:abc')), 'app.frontend.image.digest', /sha256:<64 hex characters>/);
    expectViolation(prod((c) => (c.app.backend.image.repository = 'Not A Repo')), 'app.backend.image.repository', /registry\/repository path/);
  });

  test('resources: malformed quantities and requests above limits', () => {
    expectViolation(prod((c) => (c.app.backend.resources.requests.cpu = 'two')), 'app.backend.resources.requests.cpu', /CPU quantity/);
    expectViolation(prod((c) => (c.app.backend.resources.requests.memory = '2Gi')), 'app.backend.resources.requests.memory', /request 2Gi exceeds the limit 1Gi/);
  });

  test('auth: refresh token must outlive the access token', () => {
    expectViolation(prod((c) => (c.auth = { accessTokenMinutes: 20000, refreshTokenDays: 7 })), 'auth.refreshTokenDays', /must outlive the access token/);
  });

  test('auth: lockout threshold must be above the login rate limit', () => {
    expectViolation(prod((c) => (c.auth = { loginRateLimit: { attempts: 10, windowMinutes: 15 }, lockout: { afterFailures: 10, durationMinutes: 30 } })), 'auth.lockout.afterFailures', /must be above the login rate limit \(10 attempts\)/);
  });

  test('auth: password floor, secure cookies and CSRF cannot be weakened', () => {
    expectViolation(prod((c) => (c.auth = { password: { minLength: 8 } })), 'auth.password.minLength', /at least 12/);
    expectViolation(prod((c) => (c.auth = { cookies: { httpOnly: true, secure: false, sameSite: 'lax' } })), 'auth.cookies.secure', /must be secure/);
    expectViolation(prod((c) => (c.auth = { csrf: false })), 'auth.csrf', /CSRF protection must stay on/);
  });

  test('auth: SSO endpoints must be https', () => {
    expectViolation(prod((c) => (c.auth = { sso: { saml: { metadataUrl: 'http://idp.example.com/metadata' } } })), 'auth.sso.saml.metadataUrl', /must use https/);
  });

  test('the shipped production auth policy carries the seed values', () => {
    const auth = validateEnvironmentConfig(production).auth;
    expect(auth).toMatchObject({ accessTokenMinutes: 15, refreshTokenDays: 7, password: { minLength: 12 }, loginRateLimit: { attempts: 5, windowMinutes: 15 }, lockout: { afterFailures: 10, durationMinutes: 30 }, csrf: true });
    expect(auth.roles).toHaveLength(5);
  });
});

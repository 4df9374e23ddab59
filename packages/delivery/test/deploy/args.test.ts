import { isPositiveDuration, parseArgs } from '../../src/deploy/args';
import { applyNamespaceSet, kubectl } from '../../src/deploy/commands';
import { formatCommand, shellQuote } from '../../src/deploy/runner';

describe('arguments', () => {
  test('defaults and every flag, in both --flag value and --flag=value forms', () => {
    expect(parseArgs(['--env', 'dev'])).toEqual({ kind: 'run', options: { env: 'dev', planOnly: false, yes: false, rolloutTimeout: '10m', smokeAttempts: 5 } });
    expect(parseArgs(['--env=staging', '--plan-only', '--yes', '--rollout-timeout=90s', '--rollback-ref', 'abc123', '--smoke-attempts', '2'])).toEqual({
      kind: 'run',
      options: { env: 'staging', planOnly: true, yes: true, rolloutTimeout: '90s', rollbackRef: 'abc123', smokeAttempts: 2 },
    });
    expect(parseArgs(['--env', 'dev', '--help'])).toEqual({ kind: 'help' });
    expect(parseArgs(['-h'])).toEqual({ kind: 'help' });
    // A ref that starts with a dash needs the = form (parseArgs refuses `--rollback-ref -x` as ambiguous).
    expect(parseArgs(['--env', 'dev', '--rollback-ref=-x'])).toMatchObject({ kind: 'run', options: { rollbackRef: '-x' } });
  });

  test.each([
    [['--plan-only'], '--env <environment> is required'],
    // node:util parseArgs' own messages.
    [['--env'], "Option '--env <value>' argument missing"],
    [['--env', '--yes'], "Option '--env' argument is ambiguous"],
    [['--env=', '--yes'], '--env needs a value'],
    [['--env', 'dev', '--force'], "Unknown option '--force'"],
    [['--env', 'dev', '--yes=no'], "Option '--yes' does not take an argument"],
    [['--env', 'dev', 'extra'], "unexpected argument 'extra'"],
    [['--env', 'dev', '--smoke-attempts', '0'], "--smoke-attempts '0' must be a whole number from 1 to 20"],
    [['--env', 'dev', '--env', 'prod'], '--env given twice'],
    [['--env', 'dev', '--rollback-ref=a', '--rollback-ref', 'b'], '--rollback-ref given twice'],
    [['--env', 'dev', '--rollout-timeout', '10'], "--rollout-timeout '10' is not a duration"],
  ])('%j is a usage error', (argv, message) => {
    const r = parseArgs(argv);
    expect(r.kind).toBe('usage-error');
    expect(r.kind === 'usage-error' && r.message).toContain(message);
  });

  test('durations as kubectl takes them', () => {
    expect(['10m', '90s', '1h30m', '2.5m'].every(isPositiveDuration)).toBe(true);
    expect(['0s', '10', 'm', '-1m', '10 m'].some(isPositiveDuration)).toBe(false);
  });
});

describe('commands', () => {
  test('the kube context is pinned before `--`, so it is never passed to the command kubectl exec runs', () => {
    expect(kubectl('ctx', ['exec', 'p', '--', 'sh', '-c', 'x']).args).toEqual(['exec', 'p', '--context=ctx', '--', 'sh', '-c', 'x']);
    expect(kubectl('ctx', ['get', 'pods']).args).toEqual(['get', 'pods', '--context=ctx']);
  });

  test('logged commands can be pasted into a shell', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(formatCommand(applyNamespaceSet('c', 'optibid-dev', 'optibid', 'dist/k8s/dev/optibid'))).toBe(
      'KUBECTL_APPLYSET=true kubectl apply --server-side --field-manager=optibid-deploy --force-conflicts --prune --applyset=configmaps/optibid-dev-applyset -n optibid -f dist/k8s/dev/optibid --context=c',
    );
  });
});

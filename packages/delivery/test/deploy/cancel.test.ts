import { EventEmitter } from 'events';
import { Cancellation, CancelledError, installSignalHandlers } from '../../src/deploy/cancel';
import type { Logger } from '../../src/deploy/log';
import type { CommandResult, CommandRunner } from '../../src/deploy/runner';

const ok: CommandResult = { code: 0, stdout: '', stderr: '', notFound: false };

function recordingLog() {
  const lines: string[] = [];
  const log: Logger = { info: (m) => void lines.push(m), warn: (m) => void lines.push(`WARN ${m}`), error: (m) => void lines.push(`ERROR ${m}`), command: () => undefined, output: () => undefined };
  return { log, lines };
}

test('the gate refuses new commands after a cancel, and lets the cleanup (rollback, lock release) through', async () => {
  const ran: string[] = [];
  const inner: CommandRunner = { run: async (spec) => (ran.push(spec.cmd), ok) };
  const c = new Cancellation();
  const runner = c.gate(inner);
  await runner.run({ cmd: 'a', args: [] });
  expect(c.request('SIGINT')).toBe(true);
  expect(c.request('SIGTERM')).toBe(false);
  expect(c.reason).toBe('SIGINT');
  expect(() => runner.run({ cmd: 'b', args: [] })).toThrow(CancelledError);
  c.beginCleanup();
  await runner.run({ cmd: 'c', args: [] });
  expect(ran).toEqual(['a', 'c']);
});

test('a cancel ends a wait early', async () => {
  const c = new Cancellation();
  const started = Date.now();
  const waiting = c.sleep(60_000);
  setTimeout(() => c.request('SIGTERM'), 10);
  await waiting;
  expect(Date.now() - started).toBeLessThan(5_000);
  await c.whenRequested(); // already requested: resolves
});

test('signal handlers: the first signal cancels (logged), a second exits at once with 128+signal', () => {
  const proc = new EventEmitter();
  const c = new Cancellation();
  c.forcedExitNotes.push('The deploy lock stays taken; once no deploy runs, remove it: kubectl delete lease x');
  const { log, lines } = recordingLog();
  const exits: number[] = [];
  const remove = installSignalHandlers(proc, c, log, (code) => void exits.push(code));

  proc.emit('SIGINT', 'SIGINT');
  expect(c.requested).toBe(true);
  expect(exits).toEqual([]);
  expect(lines.join('\n')).toMatch(/WARN SIGINT: cancelled/);

  proc.emit('SIGTERM', 'SIGTERM');
  expect(exits).toEqual([143]);
  expect(lines.join('\n')).toContain('SIGTERM again: exiting at once');
  expect(lines.join('\n')).toContain('kubectl delete lease x');

  remove();
  expect(proc.listenerCount('SIGINT') + proc.listenerCount('SIGTERM')).toBe(0);
});

test('Ctrl-C twice exits 130', () => {
  const proc = new EventEmitter();
  const exits: number[] = [];
  installSignalHandlers(proc, new Cancellation(), recordingLog().log, (code) => void exits.push(code));
  proc.emit('SIGINT', 'SIGINT');
  proc.emit('SIGINT', 'SIGINT');
  expect(exits).toEqual([130]);
});

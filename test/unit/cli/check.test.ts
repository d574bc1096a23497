// `locktrace check` end to end through the built CLI (out/cli.js): exit codes, text, JSON and
// SARIF output, --fail-on, bad usage and unreadable input. The JSON report of each sample is
// compared with a golden file (test/golden/check/*.json; LOCKTRACE_UPDATE_GOLDEN=1 rewrites them,
// a mismatch writes `.actual` beside the golden file).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import type { JsonReport } from '../../../src/core/report';
import { matchGolden, repoRoot, runCli } from '../helpers';

/** The parts of a SARIF log these tests read. */
interface SarifLog {
  version: string;
  runs: { results: { ruleId: string; locations: SarifLocation[]; relatedLocations: SarifLocation[] }[] }[];
}
type SarifLocation = { physicalLocation: { region: { startLine: number } } };

const run = (...args: string[]) => runCli(repoRoot, ...args);

const golden = (name: string, actual: string) => matchGolden('test/golden/check', name, actual);

for (const sample of ['samples/syscall-order-inversion.trace', 'samples/flock-deadlock.real.trace']) {
  test(`check --json ${sample}: one JSON object, schema fields, golden`, () => {
    const r = run('check', sample, '--json');
    assert.equal(r.code, 1, r.err);
    const report = JSON.parse(r.out) as JsonReport;
    assert.equal(report.version, 1);
    assert.equal(report.trace.path, sample);
    assert.equal(report.trace.format, 'ftrace');
    for (const f of report.findings) {
      for (const k of ['kind', 'message', 'line', 'pid', 'comm', 'syscall', 'locks']) assert.ok(k in f, `finding has ${k}`);
      if (f.kind === 'inversion') {
        assert.ok(f.order && ['syscall-order', 'in-kernel', 'userspace'].includes(f.order));
        assert.ok(f.cycle, 'inversion has a cycle');
        for (const e of f.cycle) for (const k of ['from', 'to', 'line', 'pid', 'syscall']) assert.ok(k in e, `edge has ${k}`);
      }
    }
    golden(`${path.basename(sample)}.json`, `${JSON.stringify(report, null, 2)}\n`);
  });
}

test('text output: a splat per finding with file:line and syscalls; exit 1', () => {
  const r = run('check', 'samples/syscall-order-inversion.trace');
  assert.equal(r.code, 1);
  assert.match(
    r.out,
    /^samples\/syscall-order-inversion\.trace:35: lock order inversion \(syscall-order\): dio-reader\/2102 in io_submit$/m,
  );
  assert.match(
    r.out,
    /sb_writers -> &inode->i_dio_map: line 20, aio-writer\/2101 in io_uring_enter, holding sb_writers since line 16 \(io_submit\)/,
  );
  assert.match(r.out, /5 finding\(s\)/);
});

test('--fail-on limits which kinds fail the run', () => {
  assert.equal(run('check', 'samples/flock-deadlock.real.trace', '--fail-on', 'held-at-exit', '--json').code, 0);
  assert.equal(run('check', 'samples/flock-deadlock.real.trace', '--fail-on', 'inversion', 'recursive').code, 1);
  assert.equal(run('check', '--fail-on', 'bad-unlock,held-at-exit', 'samples/flock-deadlock.real.trace').code, 0);
});

test('a clean trace exits 0', () => {
  const r = run('check', 'test/fixtures/rules/consistent-order.trace');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /0 finding\(s\)/);
});

test('--sarif writes SARIF 2.1.0 with related locations', () => {
  const r = run('check', 'samples/syscall-order-inversion.trace', '--sarif');
  assert.equal(r.code, 1);
  const log = JSON.parse(r.out) as SarifLog;
  assert.equal(log.version, '2.1.0');
  const results = log.runs[0].results;
  assert.equal(results.length, 5);
  const inv = results.find((x) => x.ruleId === 'inversion');
  assert.ok(inv, 'an inversion result');
  assert.equal(inv.locations[0].physicalLocation.region.startLine, 35);
  assert.ok(inv.relatedLocations.some((l) => l.physicalLocation.region.startLine === 20));
});

test('bad usage and unreadable input exit 2 with a clear message, and never modify the trace', () => {
  let r = run('check');
  assert.equal(r.code, 2);
  assert.match(r.err, /check needs at least one trace FILE/);
  r = run('check', 'x', '--format', 'pdf');
  assert.equal(r.code, 2);
  assert.match(r.err, /--format: expected auto, ftrace, trace-cmd, perf, jsonl or kernel-log/);
  r = run('check', 'no/such/file.trace');
  assert.equal(r.code, 2);
  assert.match(r.err, /no\/such\/file\.trace: no such file/);
  r = run('check', 'samples');
  assert.equal(r.code, 2);
  assert.match(r.err, /samples: is a directory/);
  r = run('frobnicate');
  assert.equal(r.code, 2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-'));
  const bad = path.join(dir, 'notes.trace');
  fs.writeFileSync(bad, 'dear diary\n');
  fs.chmodSync(bad, 0o444);
  const before = fs.statSync(bad);
  r = run('check', bad);
  assert.equal(r.code, 2);
  assert.equal(
    r.err.trim(),
    `locktrace: ${bad}:1: expected a lock trace: an ftrace line \`TASK-PID [CPU] FLAGS TIMESTAMP: event: body\`, a trace-cmd report, perf script output or locktrace JSONL, got "dear diary"`,
  );
  const after = fs.statSync(bad);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.equal(fs.readFileSync(bad, 'utf8'), 'dear diary\n');
});

test('--help and --version', () => {
  assert.match(run('--help').out, /locktrace check FILE/);
  assert.match(run('--version').out, /^locktrace \d+\.\d+\.\d+/);
});

// --- kernel logs --------------------------------------------------------------------------------

test('check on a kernel log: the report as a finding at its title line, a kernel-log summary, exit 1', () => {
  const r = run('check', 'test/fixtures/kernel/ring3/dmesg.txt');
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /^test\/fixtures\/kernel\/ring3\/dmesg\.txt:197: lock order inversion \(in-kernel\): ls_seed\/68 in ioctl$/m);
  assert.match(r.out, /-> #2 &dev->b_lock -> &dev->c_lock: line 211, syscall ioctl, at lockseed_ioctl\+0x196\/0x530/);
  assert.match(r.out, /ring3\/dmesg\.txt: kernel log, 1 locking report\(s\), 3 lock classes, 1 finding\(s\)/);
  const clean = run('check', 'test/fixtures/kernel/fileio/dmesg.txt');
  assert.equal(clean.code, 0, clean.err);
  assert.match(clean.out, /kernel log, 0 locking report\(s\)/);
});

test('check --json on a kernel log: the trace schema, per-edge syscall, context and stack; golden', () => {
  const file = 'test/fixtures/kernel-log/syzbot-5.10-circular3.txt';
  const r = run('check', file, '--json');
  assert.equal(r.code, 1, r.err);
  const report = JSON.parse(r.out) as JsonReport;
  assert.equal(report.trace.format, 'kernel-log');
  const [f] = report.findings;
  assert.equal(f.kind, 'inversion');
  assert.equal(f.line, 11, 'the title line, not the rule above it');
  assert.deepEqual(
    [f.pid, f.comm, f.syscall, f.title],
    [9871, 'syz-executor.3', 'write', 'WARNING: possible circular locking dependency detected'],
  );
  assert.ok(f.cycle);
  assert.deepEqual(
    f.cycle.map((e) => [e.from, e.to, e.line, e.syscall, e.context?.kind, e.stack?.[0].line]),
    [
      ['&vq->state_lock', '&dev->cfg_mutex', 47, 'write', 'syscall', 48],
      ['&dev->cfg_mutex', '(wq_completion)vdev_wq', 36, 'ioctl', 'syscall', 37],
      ['(wq_completion)vdev_wq', '&vq->state_lock', 26, null, 'workqueue', 27],
    ],
  );
  golden('syzbot-5.10-circular3.txt.json', `${JSON.stringify(report, null, 2)}\n`);
});

test('check --sarif on a kernel log: results at the title lines, related locations at the edges', () => {
  const r = run('check', 'test/fixtures/kernel/abba/dmesg.txt', '--sarif');
  assert.equal(r.code, 1, r.err);
  const inv = (JSON.parse(r.out) as SarifLog).runs[0].results[0];
  assert.equal(inv.ruleId, 'inversion');
  assert.equal(inv.locations[0].physicalLocation.region.startLine, 199);
  assert.deepEqual(
    inv.relatedLocations.map((l) => l.physicalLocation.region.startLine),
    [221, 213, 245],
  );
});

test('--format kernel-log forces the reader; --fail-on picks the kernel-log kinds', () => {
  assert.equal(run('check', '--format', 'kernel-log', 'samples/syscall-order-inversion.trace').code, 0);
  const other = 'test/fixtures/kernel-log/dmesg-lockdep-other.txt';
  assert.equal(run('check', other, '--fail-on', 'inversion').code, 0);
  assert.equal(run('check', other, '--fail-on', 'lockdep-other').code, 1);
});

test("the traced kernel's /proc/lockdep: TRACE.lockdep beside the trace, --lockdep FILE, --no-lockdep", () => {
  // the lockseed `recursive` capture: two instances of one class nested without an annotation, which
  // only the kernel's class list can tell from an annotated nesting
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-lockdep-'));
  try {
    const capture = path.join(repoRoot, 'test/fixtures/kernel/recursive');
    const trace = path.join(dir, 'rec.trace');
    fs.writeFileSync(trace, zlib.gunzipSync(fs.readFileSync(path.join(capture, 'trace.txt.gz'))));
    const lockdep = zlib.gunzipSync(fs.readFileSync(path.join(capture, 'lockdep.txt.gz')));
    const recursive = (r: { out: string }) => (JSON.parse(r.out) as JsonReport).findings.filter((f) => f.kind === 'recursive').length;
    assert.equal(recursive(run('check', trace, '--json')), 0, 'without the class list the nesting looks annotated');
    fs.writeFileSync(path.join(dir, 'proc-lockdep.txt'), lockdep);
    assert.equal(recursive(run('check', trace, '--json', '--lockdep', path.join(dir, 'proc-lockdep.txt'))), 1);
    fs.writeFileSync(`${trace}.lockdep`, lockdep);
    assert.equal(recursive(run('check', trace, '--json')), 1, 'TRACE.lockdep is found beside the trace');
    assert.equal(recursive(run('check', trace, '--json', '--no-lockdep')), 0);
    const bad = run('check', trace, '--lockdep', path.join(dir, 'missing'));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--lockdep: no such file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--contention adds contention findings (with their numbers in --json); they fail only with --fail-on contention', () => {
  const trace = 'test/fixtures/contention/pipe-writers.ltrace';
  const plain = run('check', trace, '--json');
  assert.equal(plain.code, 0, plain.err);
  assert.deepEqual((JSON.parse(plain.out) as JsonReport).findings, []);
  const on = run('check', trace, '--json', '--contention');
  assert.equal(on.code, 0, 'contention findings are not failures by default');
  const findings = (JSON.parse(on.out) as JsonReport).findings;
  assert.deepEqual(
    findings.map((f) => [f.kind, f.syscall, f.wait?.count]),
    [
      ['contention', 'write', 3],
      ['contention', null, 1],
    ],
  );
  const text = run('check', trace, '--contention');
  assert.match(text.out, /kernel lock contention: kc\/101 in write \[seen 3 times\]/);
  assert.equal(run('check', trace, '--contention', '--fail-on', 'contention').code, 1);
});

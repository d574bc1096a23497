// Suppression rules (.locktrace.json): parsing with validation errors, matching by kind, locks
// (order-free, wildcards), task, syscall and trace path, and applying them to a real analysis.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Finding, analyze, parseTrace } from '../../../src/core';
import { applySuppressions, globMatch, matchesSuppression, parseSuppressions } from '../../../src/core/suppress';
import { fixture } from '../helpers';

const finding = (over: Partial<Finding> = {}): Finding => ({
  id: 0,
  kind: 'inversion',
  message: '',
  eventIndex: 0,
  line: 35,
  pid: 2102,
  comm: 'dio-reader',
  syscall: 'io_submit',
  locks: ['&inode->i_dio_map', 'sb_writers'],
  related: [],
  occurrences: 1,
  ...over,
});

test('parse: rules, and errors that do not throw', () => {
  const ok = parseSuppressions('{"suppress":[{"kind":"inversion","locks":["sb_writers"],"reason":"known"}]}');
  assert.deepEqual(ok, { rules: [{ kind: 'inversion', locks: ['sb_writers'], reason: 'known' }], errors: [] });
  assert.match(parseSuppressions('{').errors[0], /not valid JSON/);
  assert.match(parseSuppressions('[]').errors[0], /expected an object/);
  assert.match(parseSuppressions('{}').errors[0], /no "suppress" list/);
  const bad = parseSuppressions('{"suppress":[{"kind":"deadlock"},{"locks":"x"},{"task":2102,"colour":"red"},3]}');
  assert.deepEqual(bad.rules, [{ task: 2102 }]); // invalid rules are dropped, never widened
  assert.equal(bad.errors.length, 4);
  assert.match(bad.errors.join('\n'), /unknown kind "deadlock"/);
  assert.match(bad.errors.join('\n'), /unknown field "colour"/);
});

test('match: every given field must match', () => {
  const f = finding();
  assert.ok(matchesSuppression({}, f));
  assert.ok(matchesSuppression({ kind: 'inversion', locks: ['sb_writers', '&inode->i_dio_map'] }, f));
  assert.ok(matchesSuppression({ locks: ['&inode->*'] }, f));
  assert.ok(!matchesSuppression({ kind: 'recursive' }, f));
  assert.ok(!matchesSuppression({ locks: ['sb_writers', 'other'] }, f));
  assert.ok(matchesSuppression({ task: 'dio-reader' }, f));
  assert.ok(matchesSuppression({ task: 2102 }, f));
  assert.ok(matchesSuppression({ task: 'dio-reader/2102' }, f));
  assert.ok(!matchesSuppression({ task: 'aio-writer' }, f));
  assert.ok(matchesSuppression({ syscall: 'io_*' }, f));
  assert.ok(!matchesSuppression({ syscall: 'flock' }, f));
  assert.ok(!matchesSuppression({ syscall: 'x' }, finding({ syscall: null })));
  assert.ok(matchesSuppression({ trace: 'samples/*.trace' }, f, 'samples/syscall-order-inversion.trace'));
  assert.ok(matchesSuppression({ trace: 'syscall-order-inversion.trace' }, f, 'samples/syscall-order-inversion.trace'));
  assert.ok(!matchesSuppression({ trace: 'other.trace' }, f, 'samples/syscall-order-inversion.trace'));
  assert.ok(!matchesSuppression({ trace: '*.trace' }, f)); // no path given
});

test('globMatch: **, * and ?', () => {
  assert.ok(globMatch('**/*.trace', 'a/b/c.trace'));
  assert.ok(globMatch('**/*.trace', 'c.trace'));
  assert.ok(!globMatch('*.trace', 'a/c.trace'));
  assert.ok(globMatch('a?c', 'abc'));
});

test('apply to a real analysis: the inversion is suppressed, held-across-syscall stays', () => {
  const a = analyze(parseTrace(fixture('samples/syscall-order-inversion.trace'), { file: 'x' }));
  const { rules } = parseSuppressions(
    JSON.stringify({ suppress: [{ kind: 'inversion', locks: ['sb_writers', '&inode->i_dio_map'], reason: 'fixed in 6.19' }] }),
  );
  const { kept, suppressed } = applySuppressions(a.findings, rules);
  assert.deepEqual(
    suppressed.map((s) => [s.finding.kind, s.finding.line, s.rule.reason]),
    [['inversion', 35, 'fixed in 6.19']],
  );
  assert.deepEqual(
    kept.map((f) => `${f.kind}:${f.line}`),
    ['held-across-syscall:17', 'held-across-syscall:22', 'held-across-syscall:31', 'held-across-syscall:36'],
  );
});

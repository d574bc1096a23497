// The TextMate grammar (syntaxes/locktrace.tmLanguage.json): every regex compiles, and the line
// rules split real lines of every format into the scopes the README promises (task, pid, cpu,
// timestamp, event, address, class, read/try, syscall, return value). Oniguruma and JavaScript
// agree on the syntax used here (no possessive quantifiers or \G).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers';

interface Rule {
  match?: string;
  begin?: string;
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  patterns?: Rule[];
  include?: string;
}
const grammar = JSON.parse(fs.readFileSync(path.join(repoRoot, 'syntaxes/locktrace.tmLanguage.json'), 'utf8')) as {
  repository: Record<string, Rule>;
};

/** Scope name → captured text, for one rule on one text. */
function scopes(ruleName: string, text: string): Record<string, string> {
  const r = grammar.repository[ruleName];
  const m = new RegExp(r.match ?? r.begin ?? '').exec(text);
  assert.ok(m, `${ruleName} matches ${JSON.stringify(text)}`);
  const caps = r.captures ?? r.beginCaptures ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(caps)) if (m[Number(k)] !== undefined) out[v.name.replace(/\.locktrace$/, '')] = m[Number(k)];
  return out;
}

test('every regex in the grammar compiles', () => {
  const visit = (r: Rule) => {
    for (const re of [r.match, r.begin]) if (re) new RegExp(re);
    r.patterns?.forEach(visit);
  };
  Object.values(grammar.repository).forEach(visit);
});

test('ftrace line: task, pid, cpu, flags, timestamp; lock event: address, read, class', () => {
  const line = '       aio-writer-2101 [001] ..... 10231.000126: lock_acquire: 000000005b7d21c9 read &mm->mmap_lock';
  const h = scopes('ftrace-line', line);
  assert.equal(h['entity.name.type.task'], 'aio-writer');
  assert.equal(h['constant.numeric.integer.pid'], '2101');
  assert.equal(h['constant.numeric.integer.cpu'], '001');
  assert.equal(h['comment.other.flags'], '.....');
  assert.equal(h['constant.numeric.float.timestamp'], '10231.000126');
  const body = line.slice(line.indexOf(': ') + 1);
  const b = scopes('lock-event', body);
  assert.equal(b['keyword.other.event.lock'], 'lock_acquire');
  assert.equal(b['constant.numeric.hex.address'], '000000005b7d21c9');
  assert.equal(b['storage.modifier.read'], 'read');
  assert.equal(b['variable.other.lock-class'], '&mm->mmap_lock');
  assert.equal(scopes('lock-event', ' lock_acquire: ffff8881 try read sb_writers')['storage.modifier.try'], 'try');
});

test('comm with dashes and spaces keeps its last -PID', () => {
  const h = scopes('ftrace-line', '  kworker/u8:2-my task-77 [000] d..1. 5.000001: sys_flock(fd: 3, cmd: 2)');
  assert.equal(h['entity.name.type.task'], 'kworker/u8:2-my task');
  assert.equal(h['constant.numeric.integer.pid'], '77');
});

test('syscalls in every printed shape, with return values', () => {
  assert.equal(scopes('raw-sys-enter', ' sys_enter: NR 209 (7f3a1c000000, 1)')['entity.name.function.syscall.number'], '209');
  assert.equal(scopes('raw-sys-exit', ' sys_exit: NR 209 = -11')['constant.numeric.return-value'], '-11');
  assert.equal(scopes('ftrace-sys-enter', ' sys_flock(fd: 3, cmd: 2)')['entity.name.function.syscall'], 'flock');
  assert.equal(scopes('ftrace-sys-exit', ' sys_flock -> 0xfffffffffffffe00')['constant.numeric.return-value'], '0xfffffffffffffe00');
  assert.equal(scopes('tracecmd-sys-enter', ' sys_enter_flock: fd: 0x00000003')['entity.name.function.syscall'], 'flock');
  assert.equal(scopes('tracecmd-sys-exit', ' syscalls:sys_exit_flock: 0x0')['constant.numeric.return-value'], '0x0');
});

test('perf script line and JSONL', () => {
  const h = scopes(
    'perf-line',
    '      aio-writer  2101/2101 [001] 10231.000126:      lock:lock_acquire: 0xffff888100100000 read &mm->mmap_lock',
  );
  assert.equal(h['entity.name.type.task'], 'aio-writer');
  assert.equal(h['constant.numeric.integer.pid'], '2101');
  assert.equal(h['constant.numeric.integer.tid'], '2101');
  assert.equal(
    scopes('lock-event', '      lock:lock_acquire: 0xffff888100100000 read &mm->mmap_lock')['variable.other.lock-class'],
    '&mm->mmap_lock',
  );
  const json = grammar.repository.jsonl.patterns ?? [];
  const cls = json.find((p) => p.captures?.['3']?.name.startsWith('variable.other.lock-class'));
  assert.equal(new RegExp(cls?.match ?? '').exec('{"ev":"acquire","class":"db_lock"}')?.[3], '"db_lock"');
});

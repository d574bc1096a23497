// The condition/evaluate language on its own (no replay): parsing, operators, errors with
// columns, logpoint interpolation, hit conditions.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Env, ExprError, Value, evaluate, interpolate, parseExpr, parseHitCondition, truthy } from '../../../src/adapter/expr';

const vars: Record<string, Value> = {
  pid: 2102,
  syscall: 'io_submit',
  comm: 'dio-reader',
  lock: '0x8a1c55e2',
  nothing: null,
  held: [
    { class: '&inode->i_dio_map', line: 29 },
    { class: 'sb_writers', line: 35 },
  ],
};
const env: Env = {
  get: (n) => vars[n],
  call: (n, args) => {
    if (n === 'len') return (args[0] as Value[]).length;
    throw new ExprError(`unknown function ${n}`, 0);
  },
};
const ev = (s: string) => evaluate(s, env);

describe('expression language', () => {
  it('comparisons and boolean operators', () => {
    assert.equal(ev('pid == 2102 && syscall == "io_submit"'), true);
    assert.equal(ev("pid != 2102 || syscall == 'io_submit'"), true);
    assert.equal(ev('!(pid > 3000) && pid >= 2102 && pid < 2103 && pid <= 2102'), true);
    assert.equal(ev('pid == "2102"'), true, 'numbers equal their decimal spelling');
    assert.equal(ev('lock == 0x8a1c55e2'), true, 'and their hex spelling');
    assert.equal(ev('comm =~ "^dio-"'), true);
    assert.equal(ev('held.class =~ "sb_"'), true, 'regex over a list matches any element');
    assert.equal(ev('nothing == null'), true);
    assert.equal(ev('-pid'), -2102);
    assert.equal(ev('pid && syscall'), 'io_submit', '&& yields the deciding operand');
  });

  it('member access, indexing, lists and calls', () => {
    assert.equal(ev('held[1].class'), 'sb_writers');
    assert.equal(ev('held[-1].line'), 35);
    assert.deepEqual(ev('held.line'), [29, 35]);
    assert.equal(ev('held.length'), 2);
    assert.equal(ev('len(held)'), 2);
    assert.equal(ev('nothing.field'), null);
    assert.equal(ev('held[5]'), null);
  });

  it('errors name the problem and its column', () => {
    const err = (s: string) => {
      try {
        parseExpr(s);
      } catch (e) {
        return e as ExprError;
      }
      assert.fail(`no error for ${s}`);
    };
    assert.equal(err('pid ==').message, 'unexpected end of expression');
    assert.equal(err('pid == 1 )').message, 'unexpected ")" at column 10');
    assert.equal(err('"abc').message, 'unterminated string starting at column 1');
    assert.equal(err('pid # 2').column, 4);
    assert.equal(err('').message, 'empty expression');
    assert.throws(() => ev('nosuch == 1'), /unknown name "nosuch"/);
    assert.throws(() => ev('held < 3'), /cannot compare a list < number 3/);
    assert.throws(() => ev('comm =~ "("'), /bad regular expression/);
    assert.throws(() => ev('frob(1)'), /unknown function frob/);
  });

  it('truthiness', () => {
    assert.equal(truthy([]), false);
    assert.equal(truthy(''), false);
    assert.equal(truthy(0), false);
    assert.equal(truthy(null), false);
    assert.equal(truthy('x'), true);
    assert.equal(truthy([0]), true);
  });

  it('logpoint interpolation', () => {
    assert.equal(
      interpolate('{comm}-{pid} in {syscall} holds {held.class}', env),
      'dio-reader-2102 in io_submit holds ["&inode->i_dio_map", "sb_writers"]',
    );
    assert.equal(interpolate('literal {{braces}} and {nosuch}', env), 'literal {braces} and <unknown name "nosuch">');
    assert.equal(interpolate('unclosed {pid', env), 'unclosed {pid');
  });

  it('hit conditions', () => {
    const hits = (src: string) => [1, 2, 3, 4, 5, 6].filter(parseHitCondition(src));
    assert.deepEqual(hits('3'), [3, 4, 5, 6]);
    assert.deepEqual(hits('>= 3'), [3, 4, 5, 6]);
    assert.deepEqual(hits('> 3'), [4, 5, 6]);
    assert.deepEqual(hits('== 3'), [3]);
    assert.deepEqual(hits('< 3'), [1, 2]);
    assert.deepEqual(hits('<= 3'), [1, 2, 3]);
    assert.deepEqual(hits('% 2'), [2, 4, 6]);
    assert.throws(() => parseHitCondition('often'), /bad hit count "often"/);
    assert.throws(() => parseHitCondition('% 0'), /never matches/);
  });
});

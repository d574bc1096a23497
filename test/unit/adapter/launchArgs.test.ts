// The launch-argument interface (via LAUNCH_ATTRIBUTES, typed Record<keyof LaunchArguments, …>)
// and package.json's configurationAttributes must not drift; validation messages stay clear.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LAUNCH_ATTRIBUTES, REQUIRED_LAUNCH_ATTRIBUTES, validateLaunchArguments } from '../../../src/adapter/launchArgs';

const ROOT = path.resolve(__dirname, '../../../..');
/** The parts of package.json these tests read. */
interface PackageJson {
  contributes: {
    debuggers: {
      type: string;
      program: string;
      configurationAttributes: { launch: { properties: object; required: string[] } };
      initialConfigurations: object[];
      configurationSnippets: { body: object }[];
    }[];
    breakpoints: { language: string }[];
  };
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const debuggerEntry = pkg.contributes.debuggers.find((d) => d.type === 'locktrace')!;

describe('launch arguments', () => {
  it('package.json configurationAttributes match the LaunchArguments schema exactly', () => {
    const launch = debuggerEntry.configurationAttributes.launch;
    assert.deepEqual(launch.properties, JSON.parse(JSON.stringify(LAUNCH_ATTRIBUTES)));
    assert.deepEqual(launch.required, REQUIRED_LAUNCH_ATTRIBUTES);
  });

  it('initial configuration and snippets only use declared attributes', () => {
    const known = new Set(['type', 'request', 'name', ...Object.keys(LAUNCH_ATTRIBUTES)]);
    const configs = [...debuggerEntry.initialConfigurations, ...debuggerEntry.configurationSnippets.map((s) => s.body)];
    for (const c of configs) for (const k of Object.keys(c)) assert.ok(known.has(k), `undeclared attribute ${k}`);
  });

  it('the debugger program is the standalone adapter bundle', () => {
    assert.equal(debuggerEntry.program, './out/debugAdapter.js');
    assert.ok(fs.existsSync(path.join(ROOT, debuggerEntry.program)), 'build first: node esbuild.js');
    assert.ok(pkg.contributes.breakpoints.some((b) => b.language === 'locktrace'));
  });

  it('validation: clear messages, program made absolute', () => {
    const sample = path.join(ROOT, 'samples', 'syscall-order-inversion.trace');
    assert.match((validateLaunchArguments({}) as { error: string }).error, /needs "program"/);
    assert.match((validateLaunchArguments(undefined) as { error: string }).error, /needs "program"/);
    assert.match((validateLaunchArguments({ program: ROOT }) as { error: string }).error, /is a directory/);
    assert.match(
      (validateLaunchArguments({ program: sample, stopOnEntry: 'yes' }) as { error: string }).error,
      /"stopOnEntry" must be true or false/,
    );
    assert.match(
      (validateLaunchArguments({ program: sample, readLocks: 'maybe' }) as { error: string }).error,
      /"readLocks" must be one of non-recursive, recursive/,
    );
    const ok = validateLaunchArguments({ program: 'samples/syscall-order-inversion.trace', task: 2101 }, ROOT) as {
      args: { program: string; task: number };
    };
    assert.equal(ok.args.program, sample);
    assert.equal(ok.args.task, 2101);
  });
});

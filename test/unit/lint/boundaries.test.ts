// The import table between folders (scripts/lint/boundaries.mjs): `npm run lint` fails on an import
// it does not allow (checked with the repository's own eslint config on probe files), the rule's
// corner cases, the README's table says the same, temporary exceptions are still needed, no
// file header keeps a "May import" line of its own, and only ctx.onReplayState subscribes to the
// debug adapter's custom events.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import * as ts from 'typescript';
import { repoRoot } from '../helpers';

interface Target {
  kind: 'node' | 'package' | 'path';
  name: string;
}
interface Boundaries {
  AREAS: Record<string, string[]>;
  PENDING: Record<string, string[]>;
  plugin: ESLint.Plugin;
  areaOf(rel: string): string | undefined;
  targetOf(spec: string, fromFile: string): Target;
  admits(entry: string, target: Target): boolean;
  describe(list: string[]): string;
}

const RULE = 'locktrace/boundaries';
const tsParser = tseslint.parser;
let b: Boundaries;

before(async () => {
  const url = pathToFileURL(path.join(repoRoot, 'scripts/lint/boundaries.mjs')).href;
  b = (await import(url)) as Boundaries;
});

/** Files under `dir` (repository-relative) whose names end in .ts. */
function tsFiles(dir: string): string[] {
  const abs = path.join(repoRoot, dir);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [dir];
  return fs
    .readdirSync(abs, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));
}

describe('import boundaries', () => {
  describe('npm run lint fails on a forbidden import', () => {
    // probe files in the real tree, linted with the real config (type-aware rules and all)
    const probes: Record<string, string> = {
      'src/core/zz-boundary-probe.ts': [
        "import * as vscode from 'vscode';",
        "import * as fs from 'fs';",
        "import type { HostMessage } from '../protocol/panel';",
        "import { EventKind } from './types';",
        "import Graph from 'graphology';",
        'export const probe = [vscode, fs, EventKind.Acquire, Graph];',
        'export type Probe = HostMessage;',
      ].join('\n'),
      'src/adapter/zz-boundary-probe.ts': [
        "import * as vscode from 'vscode';",
        "import { analyze } from '../core';",
        "import { encodeFinding } from '../protocol/encode';",
        "import { PanelModel } from '../panel/model';",
        'export const probe = [vscode, analyze, encodeFinding, PanelModel];',
      ].join('\n'),
      'media/src/zz-boundary-probe.ts': [
        "import type { Finding } from '../../src/core';",
        "import type { HostMessage } from '../../src/protocol/panel';",
        "import type { PanelModel } from '../../src/panel/model';",
        'export type Probe = [Finding, HostMessage, PanelModel];',
      ].join('\n'),
      'src/protocol/zz-boundary-probe.ts': ["import type { Finding } from '../core';", 'export type Probe = Finding;'].join('\n'),
      'src/panel/zz-boundary-probe.ts': ["import * as fs from 'node:fs';", 'export const probe = fs;'].join('\n'),
      // allowed imports; a feature subscribing to the adapter's custom events itself
      'src/vscode/zz-boundary-probe.ts': [
        "import * as vscode from 'vscode';",
        'export const probe = vscode.debug.onDidReceiveDebugSessionCustomEvent(() => undefined);',
      ].join('\n'),
    };
    /** Lines (1-based) of each probe that must fail; the others must pass. */
    const expected: Record<string, number[]> = {
      'src/core/zz-boundary-probe.ts': [1, 2, 3],
      'src/adapter/zz-boundary-probe.ts': [1, 4],
      'media/src/zz-boundary-probe.ts': [1, 3],
      'src/protocol/zz-boundary-probe.ts': [1],
      'src/panel/zz-boundary-probe.ts': [1],
      'src/vscode/zz-boundary-probe.ts': [],
    };
    const results = new Map<string, ESLint.LintResult>();

    before(async () => {
      for (const [f, text] of Object.entries(probes)) fs.writeFileSync(path.join(repoRoot, f), `${text}\n`);
      try {
        const eslint = new ESLint({ cwd: repoRoot });
        for (const r of await eslint.lintFiles(Object.keys(probes)))
          results.set(path.relative(repoRoot, r.filePath).split(path.sep).join('/'), r);
      } finally {
        for (const f of Object.keys(probes)) fs.rmSync(path.join(repoRoot, f), { force: true });
      }
    });

    for (const f of Object.keys(probes)) {
      it(f, () => {
        const r = results.get(f);
        assert.ok(r, `eslint did not lint ${f}`);
        const lines = r.messages
          .filter((m) => m.ruleId === RULE)
          .map((m) => m.line)
          .sort((x, y) => x - y);
        assert.deepEqual(lines, expected[f], r.messages.map((m) => `${m.line}: ${m.message}`).join('\n'));
        assert.ok(r.errorCount >= expected[f].length);
      });
    }

    it("features receive the adapter's custom events only through ctx.onReplayState", () => {
      const m = results.get('src/vscode/zz-boundary-probe.ts')!.messages.filter((x) => x.ruleId === 'no-restricted-syntax');
      assert.deepEqual(
        m.map((x) => x.line),
        [2],
      );
    });

    it('says what the folder may import', () => {
      const m = results.get('src/core/zz-boundary-probe.ts')!.messages.find((x) => x.ruleId === RULE && x.line === 1)!;
      assert.equal(m.message, 'src/core may not import vscode (vscode); it may import its own files and `graphology`, `graphology-types`.');
    });
  });

  describe('the rule', () => {
    const lint = (file: string, code: string): string[] => {
      const linter = new Linter({ configType: 'flat' });
      const messages = linter.verify(
        code,
        [{ files: ['**/*.ts'], languageOptions: { parser: tsParser }, plugins: { locktrace: b.plugin }, rules: { [RULE]: 'error' } }],
        { filename: path.join(repoRoot, file) },
      );
      return messages.map((m) => `${m.line}: ${m.message}`);
    };

    it('checks re-exports, import = require, require(), import() and import types', () => {
      const out = lint(
        'src/core/x.ts',
        [
          "export { a } from '../adapter/session';",
          "export * from '../vscode/context';",
          "import fs = require('fs');",
          "const cp = require('child_process');",
          "void import('vscode');",
          "type T = import('../panel/model').PanelModel;",
          "export * from './types';",
        ].join('\n'),
      );
      assert.deepEqual(
        out.map((l) => l.split(':')[0]),
        ['1', '2', '3', '4', '5', '6'],
        out.join('\n'),
      );
    });

    it('counts type-only imports like any other', () => {
      assert.deepEqual(lint('media/src/x.ts', "import type { Finding } from '../../src/core';\nexport type F = Finding;"), [
        '1: media/src may not import src/core (../../src/core); it may import its own files and `src/protocol`.',
      ]);
    });

    it('leaves tests and scripts alone, except the integration suite', () => {
      assert.deepEqual(lint('test/unit/x.test.ts', "import * as v from 'vscode';\nimport { analyze } from '../../src/core';"), []);
      assert.equal(lint('test/integration/x.test.ts', "import { analyze } from '../../src/core';").length, 1);
    });

    it('puts every file under src/ and media/src in an area', () => {
      assert.equal(lint('src/newfolder/x.ts', 'export const x = 1;').length, 1);
      for (const dir of ['src', 'media/src'])
        for (const f of tsFiles(dir)) assert.ok(b.areaOf(f), `${f} lies in no area of scripts/lint/boundaries.mjs`);
    });
  });

  it("the README's development map shows the same table", () => {
    const text = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const readme = text.slice(text.indexOf('\n## Development'));
    const rows = new Map<string, string>();
    for (const m of readme.matchAll(/^\| `([^`]+)` \|[^|\n]*\| ([^|\n]*) \|$/gm)) rows.set(m[1].replace(/\/$/, ''), m[2].trim());
    assert.deepEqual([...rows.keys()].sort(), Object.keys(b.AREAS).sort(), 'README rows vs AREAS');
    for (const [area, list] of Object.entries(b.AREAS)) assert.equal(rows.get(area), b.describe(list), `README row of ${area}`);
  });

  it('every temporary exception is still needed', () => {
    for (const [key, entries] of Object.entries(b.PENDING)) {
      const used = new Set<string>();
      for (const f of tsFiles(key)) {
        const area = b.areaOf(f)!;
        const sf = ts.createSourceFile(f, fs.readFileSync(path.join(repoRoot, f), 'utf8'), ts.ScriptTarget.ES2022);
        for (const st of sf.statements) {
          if (!(ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier))
            continue;
          const target = b.targetOf(st.moduleSpecifier.text, path.join(repoRoot, f));
          if ((target.kind === 'path' && target.name === area) || b.AREAS[area].some((e) => b.admits(e, target))) continue;
          for (const e of entries) if (b.admits(e, target)) used.add(e);
        }
      }
      for (const e of entries) assert.ok(used.has(e), `PENDING['${key}'] allows ${e}, which no file there needs any more: remove it`);
    }
  });

  it('file headers leave the import rules to the table (no "May import" lines)', () => {
    const offenders = [...tsFiles('src'), ...tsFiles('media/src'), ...tsFiles('test/integration')].filter((f) =>
      /^\/\/.*\bmay import\b/im.test(fs.readFileSync(path.join(repoRoot, f), 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });
});

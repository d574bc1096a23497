// The registry of contributed ids (src/vscode/ids.ts) and package.json name the same commands,
// debug type, language, webview panel type, custom editor type and task type, and no other file
// under src/ spells or defines one.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  Commands,
  DEBUG_TYPE,
  LANGUAGE_ID,
  PANEL_VIEW_TYPE,
  PREFIX,
  TASK_TYPE,
  TRACE_VIEW_SCHEME,
  TRACE_VIEW_TYPE,
} from '../../../src/vscode/ids';
import { repoRoot } from '../helpers';

interface PackageJson {
  activationEvents: string[];
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string }[]>;
    languages: { id: string }[];
    debuggers: {
      type: string;
      languages: string[];
      initialConfigurations: { type: string }[];
      configurationSnippets: { body: { type: string } }[];
    }[];
    breakpoints: { language: string }[];
    grammars: { language: string }[];
    taskDefinitions: { type: string }[];
    customEditors: { viewType: string; selector: { filenamePattern: string }[] }[];
    keybindings: { command: string; when?: string }[];
    configuration: { properties: Record<string, unknown> };
  };
}

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
const registry: string[] = Object.values(Commands);

/** Files that may still spell ids themselves (none: every feature takes them from the registry). */
const PENDING = new Set<string>([]);

function tsFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(repoRoot, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tsFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));
}

describe('contributed ids', () => {
  it("package.json's commands are the registry's, and the other way round", () => {
    assert.deepEqual(pkg.contributes.commands.map((c) => c.command).sort(), [...registry].sort());
  });

  it('menus and activation events name registered commands, the panel type, the debug type and the language', () => {
    for (const [menu, items] of Object.entries(pkg.contributes.menus))
      for (const i of items) assert.ok(registry.includes(i.command), `menu ${menu}: ${i.command} is not in src/vscode/ids.ts`);
    for (const e of pkg.activationEvents) {
      const [kind, id] = e.split(':');
      if (kind === 'onStartupFinished') continue;
      const want: Record<string, readonly string[]> = {
        onCommand: registry,
        onWebviewPanel: [PANEL_VIEW_TYPE],
        onDebugResolve: [DEBUG_TYPE],
        onDebugDynamicConfigurations: [DEBUG_TYPE],
        onLanguage: [LANGUAGE_ID],
      };
      assert.ok(want[kind]?.includes(id), `activation event ${e}`);
    }
  });

  it("the trace view's custom editor type, its scheme and its keybindings are the registry's", () => {
    const c = pkg.contributes;
    assert.deepEqual(
      c.customEditors.map((e) => e.viewType),
      [TRACE_VIEW_TYPE],
    );
    assert.deepEqual(
      c.customEditors.flatMap((e) => e.selector.map((s) => s.filenamePattern)),
      [`${TRACE_VIEW_SCHEME}:/**`],
    );
    for (const k of c.keybindings) {
      assert.ok(registry.includes(k.command), `keybinding: ${k.command} is not in src/vscode/ids.ts`);
      for (const m of (k.when ?? '').matchAll(/activeCustomEditorId == '([^']*)'/g)) assert.equal(m[1], TRACE_VIEW_TYPE);
    }
  });

  it('the debug type, language and task type are the ones package.json contributes', () => {
    const c = pkg.contributes;
    assert.deepEqual(
      c.debuggers.map((d) => d.type),
      [DEBUG_TYPE],
    );
    for (const d of c.debuggers) {
      assert.deepEqual(d.languages, [LANGUAGE_ID]);
      for (const cfg of [...d.initialConfigurations, ...d.configurationSnippets.map((s) => s.body)]) assert.equal(cfg.type, DEBUG_TYPE);
    }
    assert.deepEqual(
      c.languages.map((l) => l.id),
      [LANGUAGE_ID],
    );
    for (const l of [...c.breakpoints, ...c.grammars]) assert.equal(l.language, LANGUAGE_ID);
    assert.deepEqual(
      c.taskDefinitions.map((t) => t.type),
      [TASK_TYPE],
    );
    for (const key of Object.keys(c.configuration.properties)) assert.ok(key.startsWith(`${PREFIX}.`), key);
  });

  it('no file under src/ but the registry spells a command, the panel or trace view type, its scheme or the task type, or defines an id', () => {
    const ids = [...registry, PANEL_VIEW_TYPE, TASK_TYPE, TRACE_VIEW_TYPE, TRACE_VIEW_SCHEME];
    const suffixes = ids.map((id) => id.slice(PREFIX.length));
    const offenders: string[] = [];
    for (const f of tsFiles('src')) {
      if (f === 'src/vscode/ids.ts' || PENDING.has(f)) continue;
      // code only: comments may name a command
      const text = fs
        .readFileSync(path.join(repoRoot, f), 'utf8')
        .split('\n')
        .filter((l) => !/^\s*(\/\/|\/?\*)/.test(l))
        .join('\n');
      for (const id of ids) {
        // the panel protocol declares the panel type (its persisted state is restored under it)
        if (f === 'src/protocol/panel.ts' && id === PANEL_VIEW_TYPE) continue;
        if (new RegExp(`['"\`]${id.replace(/\./g, '\\.')}['"\`]`).test(text)) offenders.push(`${f}: ${id}`);
      }
      // a second definition of the debug type or the language (`const DEBUG_TYPE = PREFIX`)
      const local = /\b(?:const|let|var)\s+(DEBUG_TYPE|LANGUAGE_ID|TASK_TYPE|PANEL_VIEW_TYPE)\s*=/.exec(text);
      if (local && !(f === 'src/protocol/panel.ts' && local[1] === 'PANEL_VIEW_TYPE')) offenders.push(`${f}: defines ${local[1]}`);
      // `${PREFIX}.showPanel` and the like
      for (const s of suffixes) if (text.includes(`\${PREFIX}${s}`)) offenders.push(`${f}: \${PREFIX}${s}`);
    }
    assert.deepEqual(offenders, []);
    for (const f of PENDING) assert.ok(fs.existsSync(path.join(repoRoot, f)), `${f} is gone: remove it from PENDING`);
  });
});

// Which folders may import which: the table the README's development map shows, and the eslint
// rule `locktrace/boundaries` (eslint.config.mjs) that fails `npm run lint` on any other import.
// An entry is a folder or file of the repository (an "area"; a file's area is the longest entry
// that contains it), a package name or `node` (Node's built-in modules); `import type` counts like
// any other import. A file may always import its own area. Every file under src/ and media/src
// must lie in an area. Tests and scripts are free, except test/integration (through VS Code only).
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Area → what its files may import besides their own area. */
export const AREAS = {
  'src/core': ['graphology', 'graphology-types'],
  'src/protocol': [],
  'src/load': ['src/core', 'graphology', 'graphology-types', 'node'],
  'src/adapter': ['src/core', 'src/protocol', 'src/load', '@vscode/debugadapter', '@vscode/debugprotocol', 'node'],
  'src/panel': ['src/core', 'src/protocol'],
  'src/editor': ['src/core', 'src/load', 'graphology', 'graphology-types'],
  'src/source': ['src/core'],
  'src/record': ['src/core', 'node'],
  'src/cli': ['src/core', 'src/load', 'src/record', 'node'],
  'src/vscode': [
    'vscode',
    'src/core',
    'src/load',
    'src/protocol',
    'src/adapter',
    'src/panel',
    'src/editor',
    'src/source',
    'src/record',
    'node',
  ],
  'src/extension.ts': ['vscode', 'src/vscode'],
  'media/src': ['src/protocol'],
  'test/integration': ['vscode', 'mocha', '@vscode/debugprotocol', 'test/bench', 'node'],
};

/**
 * File or folder → imports it may make beyond its area's, while a change is on its way (a unit
 * test fails when an entry here is no longer needed: remove it then). Empty: keep it that way.
 */
export const PENDING = {};

/** Folders whose every file must lie in an area. */
const COVERED = ['src/', 'media/src/'];
const BUILTINS = new Set(builtinModules);
const KEYS = Object.keys(AREAS).sort((a, b) => b.length - a.length);

const stripExt = (p) => p.replace(/\.(ts|tsx|mts|cts|js|mjs|cjs)$/, '');

/** The area of a repository-relative path (without extension): the longest key containing it. */
export function areaOf(rel) {
  const r = stripExt(rel);
  for (const k of KEYS) {
    const key = stripExt(k);
    if (r === key || r.startsWith(`${key}/`)) return k;
  }
  return undefined;
}

/** What an import specifier names: `node`, a package name, or a repository path (without extension). */
export function targetOf(spec, fromFile, root = ROOT) {
  if (spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0])) return { kind: 'node', name: 'node' };
  if (!spec.startsWith('.') && !path.isAbsolute(spec)) {
    const parts = spec.split('/');
    return { kind: 'package', name: spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0] };
  }
  const rel = path
    .relative(root, path.resolve(path.dirname(fromFile), spec))
    .split(path.sep)
    .join('/');
  const area = areaOf(rel);
  return { kind: 'path', name: area ?? rel.split('/').slice(0, 2).join('/'), rel };
}

/** The allowed entries of a file: its area's, plus any pending exceptions of the file or its area. */
export function allowedFor(rel) {
  const area = areaOf(rel);
  if (area === undefined) return undefined;
  const own = AREAS[area];
  const pending = Object.entries(PENDING)
    .filter(([k]) => stripExt(rel) === stripExt(k) || stripExt(rel).startsWith(`${stripExt(k)}/`))
    .flatMap(([, v]) => v);
  return { area, allowed: [...own, ...pending], pending };
}

/** Whether `entry` of an allowed list admits `target`. */
export function admits(entry, target) {
  return entry === target.name;
}

/** How the README's table writes an allowed list. */
export function describe(list) {
  if (list.length === 0) return 'nothing';
  return list.map((e) => (e === 'node' ? 'Node built-ins' : `\`${e}\``)).join(', ');
}

/** @type {import('eslint').Rule.RuleModule} */
const boundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between folders follow the table in scripts/lint/boundaries.mjs (README: Development).' },
    schema: [],
    messages: {
      forbidden: '{{area}} may not import {{target}} ({{spec}}); it may import its own files{{allowed}}.',
      noArea: '{{file}} lies in no area of the import table (scripts/lint/boundaries.mjs): add its folder there and to the README.',
    },
  },
  create(context) {
    const file = context.filename;
    const rel = path.relative(ROOT, file).split(path.sep).join('/');
    if (rel.startsWith('..')) return {};
    const rules = allowedFor(rel);
    if (!rules) {
      if (!COVERED.some((c) => rel.startsWith(c))) return {};
      return {
        Program(node) {
          context.report({ node, messageId: 'noArea', data: { file: rel } });
        },
      };
    }
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const target = targetOf(source.value, file);
      if (target.kind === 'path' && target.name === rules.area) return;
      if (rules.allowed.some((e) => admits(e, target))) return;
      const own = AREAS[rules.area];
      context.report({
        node,
        messageId: 'forbidden',
        data: {
          area: rules.area,
          target: target.name === 'node' ? 'Node built-ins' : target.name,
          spec: source.value,
          allowed: own.length ? ` and ${describe(own)}` : ' only',
        },
      });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source),
      TSImportEqualsDeclaration: (n) => n.moduleReference.type === 'TSExternalModuleReference' && check(n, n.moduleReference.expression),
      TSImportType: (n) => {
        const arg = n.argument?.type === 'TSLiteralType' ? n.argument.literal : n.argument;
        if (arg?.type === 'Literal') check(n, arg);
      },
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'Literal') check(n, n.arguments[0]);
      },
    };
  },
};

export const plugin = { meta: { name: 'locktrace' }, rules: { boundaries } };

// The shape of a protocol's wire types, read from its TypeScript declarations with the compiler
// API: every exported constant with a literal value, and every exported type with its structure
// expanded (properties sorted by name, union members sorted, optional properties marked), named
// protocol types printed by name and listed once each, including those of other src/protocol
// files that it reaches. Comments, declaration order and how a type is spelled (interface or alias,
// `Pick`, intersections) do not show; what a message can carry does.

import * as path from 'node:path';
import * as ts from 'typescript';

export interface WireShape {
  /** Value of the protocol's version constant. */
  version: number;
  /** One declaration a line (objects a property a line), sorted. */
  text: string;
}

const OPTIONS: ts.CompilerOptions = {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: [],
  noEmit: true,
  skipLibCheck: true,
};

/** Parsed lib files, kept across programs (each test builds several). */
const libCache = new Map<string, ts.SourceFile>();

/**
 * A program over `files`; `overrides` replaces the text of files (absolute paths), so a test can
 * check the shape of an edited copy without writing it anywhere.
 */
export function protocolProgram(files: string[], overrides: ReadonlyMap<string, string> = new Map()): ts.Program {
  const host = ts.createCompilerHost(OPTIONS, true);
  const getSourceFile = host.getSourceFile.bind(host);
  const libDir = path.dirname(ts.getDefaultLibFilePath(OPTIONS));
  host.getSourceFile = (name, lang, onError, create) => {
    const text = overrides.get(path.resolve(name));
    if (text !== undefined) return ts.createSourceFile(name, text, lang, true);
    if (!name.startsWith(libDir)) return getSourceFile(name, lang, onError, create);
    let sf = libCache.get(name);
    if (!sf) libCache.set(name, (sf = getSourceFile(name, lang, onError, create)!));
    return sf;
  };
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => overrides.get(path.resolve(name)) ?? readFile(name);
  return ts.createProgram(files, OPTIONS, host);
}

/** The wire shape of the protocol declared in `file`, whose version is the constant `versionName`. */
export function wireShape(program: ts.Program, file: string, versionName: string): WireShape {
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) throw new Error(ts.formatDiagnostics(errors, ts.createCompilerHost(OPTIONS)));
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(file);
  if (!sf) throw new Error(`${file} is not in the program`);
  const protocolDir = path.dirname(path.resolve(file));
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  if (!moduleSymbol) throw new Error(`${file} is not a module`);

  const lines: string[] = [];
  const named = new Map<string, ts.Symbol>();
  const queue: ts.Symbol[] = [];
  let version: number | undefined;

  /** A type declared (and exported) in src/protocol: printed by name, listed once. */
  const protocolName = (t: ts.Type): string | undefined => {
    const sym =
      t.aliasSymbol ??
      (t.flags & ts.TypeFlags.Object && (t as ts.ObjectType).objectFlags & ts.ObjectFlags.Interface ? t.symbol : undefined);
    const decl = sym?.declarations?.[0];
    if (!sym || !decl || path.dirname(path.resolve(decl.getSourceFile().fileName)) !== protocolDir) return undefined;
    if (!named.has(sym.name)) {
      named.set(sym.name, sym);
      queue.push(sym);
    }
    return sym.name;
  };

  const indent = (depth: number): string => '  '.repeat(depth);

  const print = (t: ts.Type, depth: number, top = false): string => {
    if (!top) {
      const name = protocolName(t);
      if (name) return name;
    }
    if (t.isStringLiteral()) return JSON.stringify(t.value);
    if (t.isNumberLiteral()) return String(t.value);
    if (t.isUnion()) {
      let members = t.types.map((m) => print(m, depth));
      if (members.includes('true') && members.includes('false'))
        members = [...members.filter((m) => m !== 'true' && m !== 'false'), 'boolean'];
      return [...new Set(members)].sort().join(' | ');
    }
    if (checker.isArrayType(t)) {
      const el = print(checker.getTypeArguments(t as ts.TypeReference)[0], depth);
      return /[ |&]/.test(el) && !el.startsWith('{') ? `(${el})[]` : `${el}[]`;
    }
    if (checker.isTupleType(t))
      return `[${checker
        .getTypeArguments(t as ts.TypeReference)
        .map((m) => print(m, depth))
        .join(', ')}]`;
    if (!(t.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection))) return checker.typeToString(t);
    // a class or interface of the libraries (Uint32Array, …): by name
    const decl = t.symbol?.declarations?.[0];
    if (decl && program.isSourceFileDefaultLibrary(decl.getSourceFile())) return checker.typeToString(t);
    if (t.getCallSignatures().length) throw new Error(`a wire type carries a function: ${checker.typeToString(t)}`);
    const props = checker.getPropertiesOfType(t).map((p) => {
      const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
      return `${indent(depth + 1)}${p.name}${optional ? '?' : ''}: ${print(declaredType(p), depth + 1)};`;
    });
    for (const info of checker.getIndexInfosOfType(t))
      props.push(`${indent(depth + 1)}[key: ${checker.typeToString(info.keyType)}]: ${print(info.type, depth + 1)};`);
    props.sort();
    return props.length ? `{\n${props.join('\n')}\n${indent(depth)}}` : '{}';
  };

  /** A property's type as written (an optional one without the `undefined` strict mode adds to it). */
  const declaredType = (p: ts.Symbol): ts.Type => {
    const decl = p.valueDeclaration;
    if (decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) && decl.type)
      return checker.getTypeFromTypeNode(decl.type);
    return checker.getTypeOfSymbol(p);
  };

  for (let sym of checker.getExportsOfModule(moduleSymbol)) {
    if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    if (sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) {
      protocolName(checker.getDeclaredTypeOfSymbol(sym));
      if (!named.has(sym.name)) {
        named.set(sym.name, sym);
        queue.push(sym);
      }
    } else if (sym.flags & ts.SymbolFlags.Variable) {
      const t = checker.getTypeOfSymbol(sym);
      if (sym.name === versionName) {
        if (!t.isNumberLiteral()) throw new Error(`${versionName} must be a number constant`);
        version = t.value;
      } else if (t.isStringLiteral() || t.isNumberLiteral()) lines.push(`const ${sym.name} = ${print(t, 0)}`);
    }
  }
  if (version === undefined) throw new Error(`${file} exports no ${versionName}`);
  const types: string[] = [];
  for (let k = 0; k < queue.length; k++) {
    const sym = queue[k];
    types.push(`type ${sym.name} = ${print(checker.getDeclaredTypeOfSymbol(sym), 0, true)}`);
  }
  return { version, text: [...lines.sort(), ...types.sort()].join('\n') + '\n' };
}

// Kernel log frames to source without VS Code: `file:line` tails under source roots, and
// `func+0xOFF/0xSIZE [module]` through readelf + addr2line (or llvm-symbolizer) on small ELF files
// compiled here with gcc -g: an executable standing in for vmlinux, and a relocatable object with
// one section per function standing in for a module's .ko. Skipped where gcc or binutils are missing.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KernelSymbolizer, findUnderRoots, parseAddr2line, pathTails } from '../../../src/adapter/kernelSymbols';
import { parseFrame } from '../../../src/core/kernelLog';

const SOURCE = `#include <stdio.h>

static int helper(int x)
{
	int y = x * 3;
	printf("%d\\n", y);
	return y + 1;
}

int work(int a)
{
	int b = helper(a);
	b += 2;
	return b;
}

int main(void)
{
	return work(4);
}
`;

function has(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const frame = (text: string) => {
  const f = parseFrame(text, 1);
  assert.ok(f, text);
  return f;
};

describe('kernel log frames to source', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-ksym-'));
    fs.mkdirSync(path.join(dir, 'tree/drivers/misc/vdev'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'tree/drivers/misc/vdev/core.c'), '/* core */\n');
    fs.writeFileSync(path.join(dir, 'work.c'), SOURCE);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('path tails and source roots: the exact file, else its longest tail under a root', () => {
    assert.deepEqual(pathTails('/build/linux-6.1/fs/ioctl.c'), [
      'build/linux-6.1/fs/ioctl.c',
      'linux-6.1/fs/ioctl.c',
      'fs/ioctl.c',
      'ioctl.c',
    ]);
    const tree = path.join(dir, 'tree');
    const want = path.join(tree, 'drivers/misc/vdev/core.c');
    assert.equal(findUnderRoots('drivers/misc/vdev/core.c', [tree]), want);
    assert.equal(findUnderRoots('/build/linux/drivers/misc/vdev/core.c', ['/nowhere', tree]), want);
    assert.equal(findUnderRoots(want, []), want, 'an absolute path that exists');
    assert.equal(findUnderRoots('core.c', [path.join(tree, 'drivers/misc/vdev')]), undefined, 'a bare name is too weak');
    assert.equal(findUnderRoots('core.c', [path.join(tree, 'drivers/misc/vdev')], true), want);
    assert.equal(findUnderRoots('fs/ioctl.c', [tree]), undefined);
  });

  it('addr2line output: an inlined chain per address, unknown addresses empty', () => {
    const out = [
      '0x0000000000001174',
      'helper',
      '/src/m.c:4',
      'work',
      '/src/m.c:8 (discriminator 2)',
      '0x0000000000000000',
      '??',
      '??:0',
      '',
    ].join('\n');
    assert.deepEqual(parseAddr2line(out), [
      [
        { file: '/src/m.c', line: 4, fn: 'helper' },
        { file: '/src/m.c', line: 8, fn: 'work' },
      ],
      [],
    ]);
  });

  it('func+0xOFF/0xSIZE in a kernel image and in a module, with addr2line', async (t) => {
    if (!has('gcc') || !has('addr2line') || !has('readelf')) return t.skip('gcc or binutils missing');
    const src = path.join(dir, 'work.c');
    const vmlinux = path.join(dir, 'vmlinux');
    execFileSync('gcc', ['-g', '-O0', '-o', vmlinux, src]);
    const mods = path.join(dir, 'modules/kernel/drivers');
    fs.mkdirSync(mods, { recursive: true });
    execFileSync('gcc', ['-g', '-O0', '-ffunction-sections', '-c', '-o', path.join(mods, 'my_mod.ko'), src]);
    const sym = new KernelSymbolizer([vmlinux, path.join(dir, 'modules')]);
    assert.equal(sym.elfFor(undefined), vmlinux);
    assert.equal(sym.elfFor('my-mod'), path.join(mods, 'my_mod.ko'), 'a module by name, - and _ alike, in a folder');
    assert.equal(sym.elfFor('other'), undefined);
    const size = (elf: string, fn: string) => {
      const m = new RegExp(`\\s(\\d+) FUNC .* ${fn}$`, 'm').exec(execFileSync('readelf', ['-sW', elf], { encoding: 'utf8' }));
      return `0x${Number(m?.[1]).toString(16)}`;
    };
    const got = await sym.locate([
      frame(`work+0x0/${size(vmlinux, 'work')}`),
      frame(`main+0x0/${size(vmlinux, 'main')}`),
      frame(`helper+0x0/${size(vmlinux, 'helper')}`),
      frame(`main+0x0/${size(path.join(mods, 'my_mod.ko'), 'main')} [my_mod]`),
      frame('nosuch+0x10/0x20'),
      frame('work+0x0/0x10 [other]'),
    ]);
    const at = (k: number) => got[k]?.map((l) => `${path.basename(l.file)}:${l.line}`).join(' < ');
    assert.equal(at(0), 'work.c:11');
    assert.equal(at(1), 'work.c:18');
    assert.equal(at(2), 'work.c:4');
    assert.equal(at(3), 'work.c:18', 'a module function in its own section (.text.main)');
    assert.equal(got[4], undefined, 'an unknown function');
    assert.equal(got[5], undefined, 'a module without debug info');
    assert.equal(got[0]?.[0].file, src);
  });

  it('the same with llvm-symbolizer', async (t) => {
    if (!has('gcc') || !has('llvm-symbolizer') || !has('readelf')) return t.skip('gcc, llvm-symbolizer or readelf missing');
    const vmlinux = path.join(dir, 'vmlinux-llvm');
    execFileSync('gcc', ['-g', '-O0', '-o', vmlinux, path.join(dir, 'work.c')]);
    const sym = new KernelSymbolizer([vmlinux], { symbolizer: 'llvm-symbolizer' });
    const got = await sym.locate([frame('work+0x0/0x20'), frame('main+0x0/0x10')]);
    assert.deepEqual(
      got.map((g) => g?.map((l) => `${path.basename(l.file)}:${l.line}`)),
      [['work.c:11'], ['work.c:18']],
    );
  });
});

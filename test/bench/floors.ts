// The floors `locktrace check` is measured against, each a child job of the benchmark:
// - the Node floor: read the file in 1 MiB chunks and count newlines with Buffer.indexOf (native
//   memchr), i.e. what reading costs with no parsing at all;
// - the JS byte-scan floor: the same reads, but a JavaScript loop looks at every byte once (two
//   comparisons each). Any parser written in JavaScript that reads every byte of a line at least
//   once costs at least this much, so it is the honest lower bound for a JS parser.
// Node-only.

import * as fs from 'fs';

const CHUNK = 1 << 20;

function eachChunk(file: string, f: (buf: Buffer, n: number) => void): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      f(buf, n);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Lines counted with native newline search. */
export function nodeLineCount(file: string): number {
  let lines = 0;
  eachChunk(file, (buf, n) => {
    let k = buf.indexOf(10);
    while (k !== -1 && k < n) {
      lines++;
      k = buf.indexOf(10, k + 1);
    }
  });
  return lines;
}

/** Lines and spaces counted by a JavaScript loop over every byte. */
export function jsByteScan(file: string): { lines: number; spaces: number } {
  let lines = 0;
  let spaces = 0;
  eachChunk(file, (buf, n) => {
    for (let i = 0; i < n; i++) {
      const c = buf[i];
      if (c === 32) spaces++;
      else if (c === 10) lines++;
    }
  });
  return { lines, spaces };
}

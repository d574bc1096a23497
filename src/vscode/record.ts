// "Record and Debug" (`locktrace.recordAndDebug`): runs a command line under `locktrace record --auto`
// as a task (its terminal shows the recorder's and the program's output) with a progress
// notification, then opens the recording, makes it the active trace and starts a `locktrace` debug
// session on it. `--auto` records lockdep's kernel locks when the running kernel has them, else the
// program's userspace locks plus the kernel locks its syscalls waited for (docs/recorder.md).
// The recorder is the extension's own CLI (out/cli.js) run by the extension host's Node.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { LocktraceContext } from './context';
import { Commands, DEBUG_TYPE, PREFIX, TASK_TYPE } from './ids';

/** What this command needs from the TraceService. */
export interface TraceActivation {
  setActive(uri: vscode.Uri | undefined): void;
}

/** Options of one run (the command's optional second argument; tests use it). */
export interface RecordOptions {
  /** Output file (default: `<outputDir>/<program>-<time>.ltrace`). */
  output?: string;
  /** Working directory (default: the first workspace folder). */
  cwd?: string;
  /** Start debugging the recording (default true). */
  debug?: boolean;
}

export function registerRecord(ctx: LocktraceContext, traces: TraceActivation): void {
  ctx.track(
    vscode.commands.registerCommand(Commands.recordAndDebug, async (commandLine?: string, options: RecordOptions = {}) => {
      try {
        return await recordAndDebug(ctx, traces, typeof commandLine === 'string' ? commandLine : undefined, options ?? {});
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        ctx.output.error(`record and debug: ${msg}`);
        void vscode.window.showErrorMessage(`locktrace: ${msg}`);
        return undefined;
      }
    }),
  );
}

/** Returns the recording's URI, or undefined when cancelled or nothing was recorded. */
async function recordAndDebug(
  ctx: LocktraceContext,
  traces: TraceActivation,
  given: string | undefined,
  options: RecordOptions,
): Promise<vscode.Uri | undefined> {
  const settings = ctx.settings();
  let line = given ?? settings.get<string>('record.command', '');
  if (!given) {
    line =
      (await vscode.window.showInputBox({
        title: 'locktrace: Record and Debug',
        prompt: 'Command line to record (runs under `locktrace record`, needs root or sudo)',
        value: line,
        placeHolder: './my-program --threads 4',
        ignoreFocusOut: true,
      })) ?? '';
    if (!line.trim()) return undefined;
    if (line !== settings.get<string>('record.command', '')) {
      const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
      await settings.update('record.command', line, target);
    }
  }
  const argv = splitCommandLine(line);
  if (!argv.length) throw new Error('Record and Debug: the command line is empty.');
  const folder = vscode.workspace.workspaceFolders?.[0];
  const cwd = options.cwd ?? folder?.uri.fsPath ?? os.homedir();
  const outDir = settings.get<string>('record.outputDir', '') || (folder ? path.join(folder.uri.fsPath, '.locktrace') : os.tmpdir());
  const output = options.output ?? path.join(outDir, `${path.basename(argv[0])}-${stamp()}.ltrace`);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  fs.rmSync(output, { force: true });

  const cli = vscode.Uri.joinPath(ctx.extension.extensionUri, 'out', 'cli.js').fsPath;
  let exe = process.execPath;
  let args = [cli, 'record', '--auto', '-o', output, '--', ...argv];
  const useSudo = settings.get<boolean>('record.sudo', true) && typeof process.getuid === 'function' && process.getuid() !== 0;
  if (useSudo) {
    args = ['--preserve-env=ELECTRON_RUN_AS_NODE', exe, ...args];
    exe = 'sudo';
  }
  ctx.output.info(`recording: ${[exe, ...args].map(quote).join(' ')} (in ${cwd})`);
  const task = new vscode.Task(
    { type: TASK_TYPE, command: line },
    folder ?? vscode.TaskScope.Workspace,
    `record ${argv[0]}`,
    PREFIX,
    // the extension host's Node runs the CLI (in desktop VS Code, Electron as Node)
    new vscode.ProcessExecution(exe, args, { cwd, env: { ELECTRON_RUN_AS_NODE: '1' } }),
  );
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true, focus: false };
  task.isBackground = false;

  const exitCode = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `locktrace: recording ${argv.join(' ')}`, cancellable: true },
    async (progress, token) => {
      const execution = await vscode.tasks.executeTask(task);
      const started = Date.now();
      const ticker = setInterval(
        () => progress.report({ message: `${Math.round((Date.now() - started) / 1000)} s, ${sizeOf(output)}` }),
        1000,
      );
      try {
        return await new Promise<number | undefined>((resolve) => {
          const subs: vscode.Disposable[] = [];
          const done = (code: number | undefined) => {
            for (const s of subs) s.dispose();
            resolve(code);
          };
          subs.push(
            vscode.tasks.onDidEndTaskProcess((e) => {
              if (e.execution === execution) done(e.exitCode);
            }),
            vscode.tasks.onDidEndTask((e) => {
              // ended without a process exit code (terminated)
              if (e.execution === execution) setTimeout(() => done(undefined), 500);
            }),
            token.onCancellationRequested(() => execution.terminate()),
          );
        });
      } finally {
        clearInterval(ticker);
      }
    },
  );
  const size = fs.existsSync(output) ? fs.statSync(output).size : 0;
  ctx.output.info(`recording ended (exit ${exitCode ?? 'unknown'}), ${size} bytes in ${output}`);
  if (!size) {
    // exit 2: usage or setup error (not root, no tracefs, …); the task's terminal has the message
    throw new Error(
      `nothing was recorded (exit code ${exitCode ?? 'unknown'}); see the "record ${argv[0]}" terminal for the recorder's message.`,
    );
  }
  const uri = vscode.Uri.file(output);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false });
  traces.setActive(uri);
  if (options.debug !== false) {
    await vscode.debug.startDebugging(folder, {
      type: DEBUG_TYPE,
      request: 'launch',
      name: `Debug ${path.basename(output)}`,
      program: output,
      stopOnEntry: true,
    });
  }
  return uri;
}

/** Splits a command line like a POSIX shell would for plain words and quotes (no expansion). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

function stamp(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

function sizeOf(file: string): string {
  try {
    const n = fs.statSync(file).size;
    return n > 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
  } catch {
    return 'starting';
  }
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

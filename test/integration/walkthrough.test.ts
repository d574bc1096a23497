// The Get Started walkthrough in the real workbench: every step links to a registered command, the
// sample it uses is shipped in the extension, and following the steps (clicking each step and its
// button in the walkthrough page through the driver; running the linked commands on the
// test-electron route) opens the sample, shows its findings in the Problems view, starts debugging
// it (stopping at the inversion) and shows the lock panel there.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { cleanUp } from './dap';
import { driverAvailable, driverRequest } from './driver';
import { waitFor } from './wait';
import { panelText } from './workbench';

const EXTENSION_ID = 'locktrace.locktrace';
const STEPS = ['openSample', 'showFindings', 'debugSample', 'showPanel'];

interface Walkthrough {
  id: string;
  title: string;
  steps: { id: string; title: string; description: string; completionEvents?: string[]; media: { image?: string } }[];
}

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext;
}

function walkthrough(): Walkthrough {
  const pkg = extension().packageJSON as { contributes: { walkthroughs?: Walkthrough[] } };
  const w = pkg.contributes.walkthroughs?.find((x) => x.id === 'getStarted');
  assert.ok(w, 'a getStarted walkthrough is contributed');
  return w;
}

/** The command a step's description links to (`[label](command:ID)`). */
function commandOf(step: Walkthrough['steps'][number]): string {
  const m = /\[[^\]]+\]\(command:([\w.]+)\)/.exec(step.description);
  assert.ok(m, `step ${step.id} has a command link: ${step.description}`);
  return m[1];
}

suite('Get Started walkthrough', function () {
  this.timeout(120_000);

  // run alone (--grep), nothing has activated the extension yet; a step's click would, so do it here
  suiteSetup(async () => {
    await vscode.extensions.getExtension('locktrace.locktrace')?.activate();
  });

  suiteTeardown(async () => {
    await cleanUp();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('every step links to a registered locktrace command and completes with it; the sample is shipped', async () => {
    const w = walkthrough();
    assert.deepStrictEqual(
      w.steps.map((s) => s.id),
      STEPS,
    );
    const registered = await vscode.commands.getCommands(true);
    for (const step of w.steps) {
      const cmd = commandOf(step);
      assert.ok(cmd.startsWith('locktrace.'), cmd);
      assert.ok(registered.includes(cmd), `${cmd} is registered`);
      assert.deepStrictEqual(step.completionEvents, [`onCommand:${cmd}`]);
      assert.ok(step.media.image && fs.existsSync(path.join(extension().extensionPath, step.media.image)), `${step.id}: media`);
    }
    assert.ok(fs.existsSync(path.join(extension().extensionPath, 'samples/syscall-order-inversion.trace')));
  });

  test('following it: the sample opens, its findings are problems, debugging stops at the inversion, the lock panel shows it', async () => {
    await cleanUp();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const w = walkthrough();
    const sample = path.join(extension().extensionPath, 'samples/syscall-order-inversion.trace');
    const driver = driverAvailable();
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#getStarted`, false);
    if (driver) {
      const page = await waitFor('the walkthrough page', async () => {
        const t = (await driverRequest('workbenchText', { selector: '.gettingStartedSlideDetails', timeoutMs: 5_000 })).text;
        return t && /Get Started with locktrace/.test(t) && t;
      });
      for (const s of w.steps) assert.ok(page.includes(s.title), `the page shows "${s.title}"`);
    }
    /** What a user does: select the step, click its button (or, without the driver, run its command). */
    const follow = async (id: string) => {
      const step = w.steps.find((s) => s.id === id)!;
      if (!driver) {
        await vscode.commands.executeCommand(commandOf(step));
        return;
      }
      await driverRequest('workbenchClick', { selector: `.gettingStartedSlideDetails button.getting-started-step[data-step-id$="${id}"]` });
      await driverRequest('workbenchClick', { selector: `[x-step-description-for$="${id}"] .button-container .monaco-button` });
    };

    await follow('openSample');
    const editor = await waitFor('the sample in an editor', () =>
      vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === sample),
    );
    assert.strictEqual(editor.document.languageId, 'locktrace');

    await follow('showFindings');
    const lines = await waitFor('the findings of the sample', () => {
      const l = vscode.languages
        .getDiagnostics(editor.document.uri)
        .filter((d) => d.source === 'locktrace')
        .map((d) => d.range.start.line + 1)
        .sort((a, b) => a - b);
      return l.length === 5 && l;
    });
    assert.deepStrictEqual(lines, [17, 22, 31, 35, 36]);
    if (driver) {
      // the view lists every open file's problems (earlier tests leave some): it is shown, with locktrace's
      await waitFor('the Problems view', async () => {
        const t = (await driverRequest('workbenchText', { selector: '.markers-panel-container', timeoutMs: 5_000 })).text;
        // a row's text: message, then source and code (`locktraceLT-2848` for an inversion, else the kind), then `[Ln 35, Col 81]`
        return t && /locktrace(LT-[0-9a-f]+|held-across-syscall)\[Ln \d+/.test(t);
      });
    }

    const stops: number[] = [];
    const sub = vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.event === 'locktraceState' && e.session.configuration.program === sample) stops.push((e.body as { line: number }).line);
    });
    try {
      await follow('debugSample');
      await waitFor('the session stopped at the inversion', () => stops.includes(35));
      const session = vscode.debug.activeDebugSession;
      assert.strictEqual(session?.type, 'locktrace');
      assert.strictEqual(session.configuration.program, sample);
    } finally {
      sub.dispose();
    }

    await follow('showPanel');
    if (driver) {
      await panelText('#lt-position', /^line 35 · .*debug session$/);
      await driverRequest('screenshot', { name: 'walkthrough-panel' });
    }
  });
});

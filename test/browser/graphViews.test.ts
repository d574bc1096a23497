// The lock panel's graph views in headless Chromium (the built webview bundle talking to the real
// host controller over real analyses of the graph fixtures): the class and instance views of a
// class-level cycle between different instances, the findings of one component under its header,
// and the comparison of two recordings (diff). Screenshots go to test-artifacts/ (the README's
// come from here: graph-classes.png, graph-instances.png, graph-diff.png).
// Needs /usr/bin/chromium (`apt-get install -y chromium`): without it this test FAILS.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { analyze, diffAnalyses, parseTrace } from '../../src/core';
import { PanelModel } from '../../src/panel/model';
import type { WebviewMessage } from '../../src/protocol/panel';
import { ROOT } from '../unit/panel/fixture';
import { ARTIFACTS, PanelPage, openPanelPage } from './panelPage';

const G = path.join(ROOT, 'test/fixtures/graph');

function model(name: string): PanelModel {
  const file = path.join(G, name);
  return new PanelModel(analyze(parseTrace(fs.readFileSync(file), { file })), file);
}

/** A panel in a fresh Chromium for `m`, at its last event, talking to a real controller; no page errors. */
async function openPanel(m: PanelModel, posted: WebviewMessage[]): Promise<PanelPage> {
  const errors: string[] = [];
  const p = await openPanelPage(m, {
    name: 'graph-views',
    nonce: 'Z3JhcGgtdmlld3MtMTIzNA==',
    viewport: { width: 1180, height: 760 },
    at: m.store.length - 1,
    posted,
    onPage: (page) => page.on('pageerror', (e) => errors.push(e.message)),
  });
  await p.page.waitForSelector('#lt-graph svg');
  assert.deepEqual(errors, []);
  return p;
}

describe('lock panel graph views in Chromium', { timeout: 120_000 }, () => {
  const opened: PanelPage[] = [];
  after(async () => {
    for (const o of opened) {
      await o.context.close();
      fs.rmSync(o.userDataDir, { recursive: true, force: true });
    }
  });

  it('toggles between the class graph and the instance graph of a cycle between different instances', async () => {
    const posted: WebviewMessage[] = [];
    const p = await openPanel(model('parent-child-instances.trace'), posted);
    opened.push(p);
    const { page } = p;
    assert.deepEqual(await page.locator('.lt-mode').allTextContents(), ['Classes', 'Instances']);
    assert.equal(await page.locator('.lt-mode[data-mode="class"]').getAttribute('aria-pressed'), 'true');
    // classes: the two-class cycle, highlighted
    assert.deepEqual(
      await page
        .locator('.lt-edge.lt-in-cycle')
        .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')}`).sort()),
      ['&ei->xattr_sem -> &inode->i_rwsem', '&inode->i_rwsem -> &ei->xattr_sem'],
    );
    assert.match((await page.locator('.lt-graph-caption').textContent()) ?? '', /· different instances only$/);
    assert.match(
      (await page.locator('.lt-finding.lt-selected .lt-finding-detail').textContent()) ?? '',
      /LT-[0-9a-f]{4} · different instances only/,
    );
    await page.locator('.lt-bottom').screenshot({ path: path.join(ARTIFACTS, 'graph-classes.png') });
    // instances: four locks, the two pairs drawn split, the reason under the drawing
    await page.locator('.lt-mode[data-mode="instance"]').click();
    await page.waitForSelector('.lt-graph-svg.lt-graph-instance');
    assert.equal(await page.locator('.lt-mode[data-mode="instance"]').getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('.lt-graph-instance .lt-node').count(), 4);
    assert.equal(await page.locator('.lt-graph-instance .lt-edge.lt-split').count(), 2);
    assert.equal(await page.locator('.lt-graph-instance .lt-edge.lt-in-cycle').count(), 0);
    assert.match(
      (await page.locator('.lt-graph-caption').textContent()) ?? '',
      /only different instances of its classes were taken in opposite orders/,
    );
    await page.locator('.lt-bottom').screenshot({ path: path.join(ARTIFACTS, 'graph-instances.png') });
    // the choice is kept with the webview's state
    assert.equal(await page.evaluate(() => (window as unknown as { __ltState?: { graphMode?: string } }).__ltState?.graphMode), 'instance');
    // an instance edge moves to where it was made
    const before = posted.length;
    await page.locator('.lt-graph-instance .lt-edge').first().locator('text').click();
    for (let k = 0; k < 50 && !posted.slice(before).some((m) => m.type === 'seek'); k++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(
      posted.slice(before).some((m) => m.type === 'seek'),
      'a click on an instance edge seeks',
    );
  });

  it('lists the inversions of one component together, under its header', async () => {
    const p = await openPanel(model('scc-abc.trace'), []);
    opened.push(p);
    const rows = await p.page
      .locator('#lt-findings > li')
      .evaluateAll((els: Element[]): string[] => els.map((e) => e.className || 'finding'));
    assert.deepEqual(rows, ['lt-component', 'lt-in-component', 'lt-in-component', 'lt-in-component']);
    assert.match((await p.page.locator('.lt-component-title').textContent()) ?? '', /^component LT-[0-9a-f]{4}$/);
    assert.match((await p.page.locator('.lt-component-detail').textContent()) ?? '', /^3 classes, 3 cycles: /);
  });

  it('shows the comparison with another recording: new, gone and unchanged edges', async () => {
    const before = model('diff-old.trace');
    const m = model('diff-new.trace');
    const p = await openPanel(m, []);
    opened.push(p);
    const { page, controller } = p;
    controller.setDiff(m.diffView(diffAnalyses(before.analysis, m.analysis), { name: 'diff-old.trace', path: before.path }, true));
    await page.waitForSelector('.lt-graph-svg.lt-graph-diff');
    assert.deepEqual(await page.locator('.lt-mode').allTextContents(), ['Classes', 'Instances', 'Diff']);
    assert.equal(await page.locator('.lt-mode[data-mode="diff"]').getAttribute('aria-pressed'), 'true');
    const edges = await page
      .locator('.lt-graph-diff .lt-edge')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('data-status')} ${e.getAttribute('data-from')}->${e.getAttribute('data-to')}`).sort(),
      );
    assert.deepEqual(edges, ['gone lock_d->lock_e', 'new lock_c->lock_a', 'unchanged lock_a->lock_b', 'unchanged lock_b->lock_c']);
    assert.match(
      (await page.locator('.lt-graph-caption').textContent()) ?? '',
      /^compared with diff-old\.trace: edges 1 new, 1 gone, 2 unchanged; cycles 1 new, 0 gone, 0 unchanged$/,
    );
    assert.match(
      (await page.locator('.lt-diff-new').getAttribute('aria-label')) ?? '',
      /^lock_c → lock_a: new in diff-new\.trace, made at line 22 /,
    );
    await page.locator('.lt-bottom').screenshot({ path: path.join(ARTIFACTS, 'graph-diff.png') });
    // back to the classes, and the comparison withdrawn
    await page.locator('.lt-mode[data-mode="class"]').click();
    await page.waitForSelector('.lt-graph-svg.lt-graph-class');
    controller.setDiff(null);
    await page.waitForFunction(() => document.querySelectorAll('.lt-mode').length === 2);
  });
});

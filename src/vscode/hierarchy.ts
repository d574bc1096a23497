// `locktrace.proposeHierarchy`: derives a lock hierarchy the trace's class graph satisfies (levels,
// outermost first; the classes of a cycle share a level) and writes it into the trace's
// .locktrace.json as "hierarchy", like `locktrace hierarchy TRACE --write`. Every later edge against
// it is an order-violation finding. The proposal itself is core's (src/core/analysis/hierarchy.ts).
import * as vscode from 'vscode';
import { hierarchyToJson, proposeHierarchy, ProposedHierarchy } from '../core/analysis/hierarchy';
import { SUPPRESSIONS_FILE } from '../core/suppress';
import type { LocktraceContext } from './context';
import { Commands } from './ids';
import type { TraceService } from './traces';

/** What the command resolves to (the integration tests read it); undefined when nothing was proposed. */
export interface HierarchyCommandResult {
  proposal: ProposedHierarchy;
  /** The .locktrace.json written, if it was. */
  written?: vscode.Uri;
}

/** Options of the command: `write` true writes without asking, false only proposes. */
export interface HierarchyCommandOptions {
  write?: boolean;
}

const WRITE = 'Write to .locktrace.json';
const SHOW = 'Show Proposal';

export function registerHierarchy(ctx: LocktraceContext, traces: TraceService): void {
  ctx.track(
    vscode.commands.registerCommand(
      Commands.proposeHierarchy,
      async (resource?: vscode.Uri, options?: HierarchyCommandOptions): Promise<HierarchyCommandResult | undefined> => {
        const uri = resource instanceof vscode.Uri ? resource : vscode.window.activeTextEditor?.document.uri;
        if (!uri) {
          void vscode.window.showErrorMessage('locktrace: open a trace file to derive a lock hierarchy from it.');
          return undefined;
        }
        const name = uri.path.split('/').pop() ?? uri.toString();
        const r = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Window, title: `locktrace: analyzing ${name}` },
          () => traces.get(uri),
        );
        if (!r.analysis) {
          void vscode.window.showErrorMessage(`locktrace: ${name}: ${r.error?.message ?? 'not a trace'}; no hierarchy proposed`);
          return undefined;
        }
        const proposal = proposeHierarchy(r.analysis.graph);
        const target = (await traces.suppressionsFor(uri))?.file ?? vscode.Uri.joinPath(uri, '..', SUPPRESSIONS_FILE);
        logProposal(ctx, name, proposal);
        const summary = `${name}: ${proposal.classes} ordered classes in ${proposal.levels.length} levels${
          proposal.cycles.length ? `; ${proposal.cycles.length} cycle(s) keep their classes on one level` : ''
        }`;
        let write = options?.write;
        if (write === undefined) {
          const pick = await vscode.window.showInformationMessage(`locktrace: ${summary}.`, WRITE, SHOW);
          if (pick === SHOW) {
            const doc = await vscode.workspace.openTextDocument({
              language: 'json',
              content: `${JSON.stringify({ hierarchy: hierarchyToJson(proposal.levels), cycles: proposal.cycles }, null, 2)}\n`,
            });
            await vscode.window.showTextDocument(doc, { preview: true });
          }
          write = pick === WRITE;
        }
        if (!write) return { proposal };
        const problem = await writeHierarchy(target, proposal);
        if (problem) {
          void vscode.window.showErrorMessage(`locktrace: ${target.fsPath || target.toString()}: ${problem}; hierarchy not written`);
          return { proposal };
        }
        ctx.output.info(`hierarchy: wrote "hierarchy" (${proposal.levels.length} levels) to ${target.fsPath || target.toString()}`);
        // a .locktrace.json outside the workspace has no watcher: findings are recomputed here
        traces.invalidate();
        if (options?.write === undefined) await vscode.window.showTextDocument(target, { preview: true });
        return { proposal, written: target };
      },
    ),
  );
}

function logProposal(ctx: LocktraceContext, name: string, p: ProposedHierarchy): void {
  ctx.output.info(`hierarchy proposed for ${name}: ${p.classes} ordered classes in ${p.levels.length} levels, outermost first`);
  p.levels.slice(0, 200).forEach((level, k) => ctx.output.info(`  ${k + 1}. ${level.join(', ')}`));
  if (p.levels.length > 200) ctx.output.info(`  … ${p.levels.length - 200} more levels`);
  if (p.cycles.length)
    ctx.output.info(`cycles that prevent a total order (their classes share a level)${p.truncated ? ', search bounded' : ''}:`);
  for (const c of p.cycles.slice(0, 100)) ctx.output.info(`  line ${c.line}: ${c.cycleId} ${[...c.path, c.path[0]].join(' -> ')}`);
}

/** Sets "hierarchy" in `file` (created when missing), keeping its other fields; a problem's text, or undefined. */
async function writeHierarchy(file: vscode.Uri, p: ProposedHierarchy): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === file.toString());
  if (open?.isDirty) return 'has unsaved changes, save or revert them first';
  let json: Record<string, unknown> = {};
  let bytes: Uint8Array | undefined;
  try {
    bytes = await vscode.workspace.fs.readFile(file);
  } catch {
    bytes = undefined; // a new file
  }
  if (bytes) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'not a JSON object';
      json = parsed as Record<string, unknown>;
    } catch (e) {
      return `not valid JSON (${(e as Error).message})`;
    }
  }
  json.hierarchy = hierarchyToJson(p.levels);
  try {
    await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

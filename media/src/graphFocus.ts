// A large class graph (real kernel traces have 10^2–10^4 lock classes): which classes to show,
// and a layered layout whose labels cannot overlap. Pure (no DOM), unit-tested.
//
// Selection: the classes that matter (the findings' cycles, the selected finding's first, and the
// locks the current task holds) or one class the user focused, plus their direct neighbours up to
// a cap. Layout: classes in columns by their longest path along the lock order (cycles broken at
// the edges a depth-first walk from the classes that matter closes), one row per class in a column,
// each label cut to its column's width: no two labels share a row of a column or a column's width.

/** Graphs with more classes than this show a focused subset by default. */
export const GRAPH_FOCUS_ABOVE = 25;
/** Classes shown at most in a focused view (the classes that matter are kept first). */
export const GRAPH_FOCUS_CAP = 25;

export interface FocusSeeds {
  /** Classes of the findings' cycles, the selected finding's first. */
  cycles: readonly (readonly string[])[];
  /** Classes (graph nodes) the current task holds, outermost first. */
  held: readonly string[];
  /** A class the user focused: it and its neighbours replace the default selection. */
  focus: string | null;
}

export interface ClassSelection {
  /** Shown classes: the core first, then the neighbours. */
  shown: string[];
  /** The classes the selection started from (its neighbours fill the rest). */
  core: string[];
  /** What the core is: a focused class, the cycles and held locks, or (neither) the busiest classes. */
  kind: 'focus' | 'matter' | 'busiest';
}

/**
 * The classes of a large graph to show: the core (focused class, or cycle classes then held
 * classes present in the graph) and then their direct neighbours, those with more edges into the
 * core first (then more acquisitions, then name), until `cap`. Without a core: the classes with
 * the most edges.
 */
export function selectClasses(
  nodes: readonly { id: string; acquisitions: number }[],
  edges: readonly { from: string; to: string }[],
  seeds: FocusSeeds,
  cap = GRAPH_FOCUS_CAP,
): ClassSelection {
  const acq = new Map(nodes.map((n) => [n.id, n.acquisitions]));
  const core: string[] = [];
  const add = (id: string) => {
    if (acq.has(id) && !core.includes(id) && core.length < cap) core.push(id);
  };
  let kind: ClassSelection['kind'] = 'matter';
  if (seeds.focus !== null && acq.has(seeds.focus)) {
    kind = 'focus';
    add(seeds.focus);
  } else {
    for (const c of seeds.cycles) for (const id of c) add(id);
    for (const id of seeds.held) add(id);
  }
  const degree = new Map<string, number>();
  for (const e of edges) {
    if (!acq.has(e.from) || !acq.has(e.to)) continue;
    degree.set(e.from, (degree.get(e.from) ?? 0) + 1).set(e.to, (degree.get(e.to) ?? 0) + 1);
  }
  const byWeight = (w: Map<string, number>) => (a: string, b: string) =>
    (w.get(b) ?? 0) - (w.get(a) ?? 0) || (acq.get(b) ?? 0) - (acq.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
  if (core.length === 0) {
    const busiest = [...degree.keys()].sort(byWeight(degree)).slice(0, cap);
    return { shown: busiest, core: [], kind: 'busiest' };
  }
  const inCore = new Set(core);
  const links = new Map<string, number>();
  for (const e of edges) {
    if (!acq.has(e.from) || !acq.has(e.to)) continue;
    if (inCore.has(e.from) && !inCore.has(e.to)) links.set(e.to, (links.get(e.to) ?? 0) + 1);
    if (inCore.has(e.to) && !inCore.has(e.from)) links.set(e.from, (links.get(e.from) ?? 0) + 1);
  }
  const neighbours = [...links.keys()].sort(byWeight(links)).slice(0, Math.max(0, cap - core.length));
  return { shown: [...core, ...neighbours], core, kind };
}

export interface LayeredLayout {
  width: number;
  height: number;
  /** Per column: x of its circles' left edge and of its longest label's end. */
  columns: { left: number; right: number }[];
  /** Circle centre, label text (cut to fit) and the x where the label ends, per class. */
  nodes: Map<string, { x: number; y: number; layer: number; label: string; labelEnd: number }>;
}

/** Estimated advance of one character of the graph's 11px monospace font, in pixels (generous). */
export const GRAPH_CHAR_W = 7;
/** Vertical distance between two classes of a column. */
export const GRAPH_ROW_H = 22;
const PAD = 18;
const GAP = 34;
/** Labels longer than this are cut (the node's title has the whole name). */
const MAX_LABEL_CHARS = 24;
const LABEL_OFF = 11;

/** `text` cut to `max` characters with an ellipsis. */
export function cutLabel(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/**
 * Layered layout of `ids` (in priority order: depth-first walks start from them in this order,
 * so the first class is on the left of its cycle). Columns are the longest path from a source
 * once the walk's back edges are left out; within a column classes follow the mean row of their
 * predecessors. Deterministic.
 */
export function layeredLayout(ids: readonly string[], edges: readonly { from: string; to: string }[], nodeR: number): LayeredLayout {
  const idSet = new Set(ids);
  const out = new Map<string, string[]>();
  for (const id of ids) out.set(id, []);
  for (const e of edges) if (idSet.has(e.from) && idSet.has(e.to) && e.from !== e.to) out.get(e.from)!.push(e.to);
  // depth-first walk: edges to a class still on the stack close a cycle and are left out of layering
  const state = new Map<string, 1 | 2>();
  const finished: string[] = [];
  const forward = new Map<string, string[]>();
  for (const root of ids) {
    if (state.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = out.get(top[0])![top[1]++];
      if (next === undefined) {
        state.set(top[0], 2);
        finished.push(top[0]);
        stack.pop();
        continue;
      }
      if (state.get(next) === 1) continue; // back edge
      if (!forward.has(top[0])) forward.set(top[0], []);
      forward.get(top[0])!.push(next);
      if (!state.has(next)) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
  // forward and cross edges form a DAG; reverse finishing order is a topological order
  const layer = new Map<string, number>();
  const topo = finished.reverse();
  for (const id of topo) layer.set(id, layer.get(id) ?? 0);
  for (const id of topo) for (const n of forward.get(id) ?? []) layer.set(n, Math.max(layer.get(n) ?? 0, (layer.get(id) ?? 0) + 1));
  const layers: string[][] = [];
  for (const id of ids) (layers[layer.get(id)!] ??= []).push(id);
  // rows: each column sorted by the mean row of its predecessors in earlier columns (priority order breaks ties)
  const row = new Map<string, number>();
  const preds = new Map<string, string[]>();
  for (const [from, tos] of forward) for (const to of tos) (preds.get(to) ?? preds.set(to, []).get(to)!).push(from);
  const rank = new Map(ids.map((id, k) => [id, k]));
  layers.forEach((col, k) => {
    if (k > 0) {
      const bary = (id: string) => {
        const p = (preds.get(id) ?? []).filter((q) => row.has(q));
        return p.length ? p.reduce((s, q) => s + row.get(q)!, 0) / p.length : Number.MAX_SAFE_INTEGER;
      };
      col.sort((a, b) => bary(a) - bary(b) || rank.get(a)! - rank.get(b)!);
    }
    col.forEach((id, r) => row.set(id, r));
  });
  const rows = Math.max(1, ...layers.map((c) => c.length));
  const nodes: LayeredLayout['nodes'] = new Map();
  const columns: LayeredLayout['columns'] = [];
  let x = PAD;
  for (const [k, col] of layers.entries()) {
    const labels = col.map((id) => cutLabel(id, MAX_LABEL_CHARS));
    const labelW = Math.max(...labels.map((l) => l.length)) * GRAPH_CHAR_W;
    // whole rows, so that the gaps between rows line up across columns (edges run along them)
    const top = PAD + nodeR + Math.floor((rows - col.length) / 2) * GRAPH_ROW_H;
    columns.push({ left: x, right: x + 2 * nodeR + LABEL_OFF - nodeR + labelW });
    col.forEach((id, r) => {
      const cx = x + nodeR;
      nodes.set(id, {
        x: cx,
        y: top + r * GRAPH_ROW_H,
        layer: k,
        label: labels[r],
        labelEnd: cx + LABEL_OFF + labels[r].length * GRAPH_CHAR_W,
      });
    });
    x += 2 * nodeR + LABEL_OFF + labelW + GAP;
  }
  return { width: Math.ceil(x - GAP + PAD), height: Math.ceil(2 * PAD + 2 * nodeR + (rows - 1) * GRAPH_ROW_H + 24), columns, nodes };
}

type Placed = { x: number; y: number; layer: number; labelEnd: number };

/**
 * The path of edge a → b in a layered layout, kept off the labels: between neighbouring columns
 * a curve from the end of a's label to b's circle; across columns it runs along the gap between
 * two rows; back to its own or an earlier column (a cycle's closing edge) it leaves under a's
 * circle, runs left along the gap under a's row and up or down beside b's column into b's circle.
 * The label point lies on the path.
 */
export function layeredEdgePath(a: Placed, b: Placed, layout: LayeredLayout, nodeR: number): { d: string; labelX: number; labelY: number } {
  const half = GRAPH_ROW_H / 2;
  const r = (v: number) => Math.round(v * 100) / 100;
  const ex = b.x - nodeR - 3;
  if (b.layer === a.layer + 1) {
    const sx = a.labelEnd + 3;
    const mx = (sx + ex) / 2;
    return {
      d: `M${r(sx)},${r(a.y)} C${r(mx)},${r(a.y)} ${r(mx)},${r(b.y)} ${r(ex)},${r(b.y)}`,
      labelX: r(mx),
      labelY: r((a.y + b.y) / 2 - 4),
    };
  }
  if (b.layer > a.layer) {
    const sx = a.labelEnd + 3;
    const out = layout.columns[a.layer].right + 6;
    const into = layout.columns[b.layer].left - 10;
    const gy = a.y + (b.y >= a.y ? half : -half);
    return {
      d: `M${r(sx)},${r(a.y)} L${r(out)},${r(a.y)} Q${r(out + 8)},${r(gy)} ${r(out + 16)},${r(gy)} L${r(into - 8)},${r(gy)} Q${r(into)},${r(gy)} ${r(into)},${r(gy + (b.y >= gy ? 6 : -6))} L${r(into)},${r(b.y)} L${r(ex)},${r(b.y)}`,
      labelX: r((out + into) / 2),
      labelY: r(gy - 3),
    };
  }
  const gy = a.y + half;
  const side = layout.columns[b.layer].left - 10;
  return {
    d: `M${r(a.x)},${r(a.y + nodeR)} L${r(a.x)},${r(gy)} L${r(side)},${r(gy)} L${r(side)},${r(b.y)} L${r(ex)},${r(b.y)}`,
    labelX: r((a.x + side) / 2),
    labelY: r(gy + 11),
  };
}

// Rendering happens once per animation frame, section by section, and only for the sections
// whose inputs changed since they were last rendered (./panel.ts's render() names them).

let render = (): void => undefined;
let renderQueued = false;

/** The function that renders a frame (set once by ./panel.ts). */
export function setRender(f: () => void): void {
  render = f;
}

/** Renders at the next animation frame (many messages and inputs in one frame render once). */
export function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

/** Inputs each section was last rendered from: a section whose inputs are the same is left alone. */
const lastInputs = new Map<string, unknown[]>();

/** Whether `section` must be rendered for `inputs` (compared by identity); remembers them. */
export function changed(section: string, inputs: unknown[]): boolean {
  const last = lastInputs.get(section);
  if (last && last.length === inputs.length && last.every((x, k) => x === inputs[k])) return false;
  lastInputs.set(section, inputs);
  return true;
}

/** Renders `section` again at the next frame whatever its inputs (what it shows changed elsewhere). */
export function invalidate(section: string): void {
  lastInputs.delete(section);
  scheduleRender();
}

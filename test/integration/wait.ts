// Polling helper shared by the integration suites: the workbench and the extension host update
// asynchronously, so tests wait for a condition instead of sleeping.

/**
 * Calls `fn` every 50 ms until it returns a truthy value (returned) or `timeoutMs` passes (throws,
 * naming `what` and the last error `fn` threw, if any).
 */
export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? String(last) : JSON.stringify(last)})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * node:test helpers (import from `@midg/backend/testing`): run the same suite on every backend that works here.
 *
 *   forEachBackend((backend) => {
 *     describe('Dense', () => { it(`has a gradient on ${backend}`, () => { ... }); });
 *   });
 *
 * Create tensors inside the tests (or hooks), not in the suite body: suite bodies all run before any test, so a
 * tensor made there would belong to whichever backend was active at definition time.
 */
import { before, describe } from 'node:test';
import { listBackends, useBackend } from './registry';
import { BackendUnavailableError } from './types';

export interface BackendProbe {
  name: string;
  /** Why the backend cannot load here; undefined when it loads. */
  unavailable?: string;
}

// Probed once per process, at import: describe() must be called synchronously while the test file loads, and only
// trying to load a backend tells whether its optional package is installed. Backends registered after this module
// is imported are not included.
const probes: BackendProbe[] = await Promise.all(
  listBackends().map(async (provider): Promise<BackendProbe> => {
    try {
      await provider.load({});
      return { name: provider.name };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const what = error instanceof BackendUnavailableError ? 'not installed' : 'failed to load';
      return { name: provider.name, unavailable: `${what}: ${reason.split('\n')[0]}` };
    }
  }),
);

let reported = false;

/** Every registered backend and, for those that cannot load here, why. */
export function backendProbes(): readonly BackendProbe[] {
  return probes;
}

/** The registered backends that load here, in registration order (wasm and cpu always do). */
export function availableBackends(): string[] {
  return probes.filter((probe) => probe.unavailable === undefined).map((probe) => probe.name);
}

/**
 * Defines `describe('on <backend>', ...)` running `suite(backend)` with that backend active, for every backend in
 * availableBackends(). The others are left out with one `# backend <name> not installed: <reason>` line per process
 * (a diagnostic, not a skipped test: a missing optional backend is not a gap in the suite).
 */
export function forEachBackend(suite: (backend: string) => void): void {
  if (!reported) {
    reported = true;
    // A root-level hook, so the diagnostic belongs to the file rather than to one backend's suite.
    before((t) => {
      for (const probe of probes) {
        if (probe.unavailable === undefined) continue;
        const line = `backend ${probe.name} ${probe.unavailable}`;
        // Typed as TestContext | SuiteContext; a root-level hook gets the root test's context, which has diagnostic().
        if ('diagnostic' in t) t.diagnostic(line);
        else console.log(`# ${line}`);
      }
    });
  }
  for (const name of availableBackends()) {
    describe(`on ${name}`, () => {
      before(async () => {
        await useBackend(name);
      });
      suite(name);
    });
  }
}

import * as v from 'valibot';
import { FaultlineError } from './errors.js';
import type { FaultDefinition, ProbeDefinition } from './model.js';
import { parseTunables, type Registry } from './registry.js';
import {
  experimentSpecSchema,
  type FaultStep,
  probeSpecSchema,
  type ResolvedProbeSpec,
  type ResolvedSpec,
} from './spec.js';
import { parseDuration } from './units.js';

/** A probe ready to run: definition found, tunables parsed, durations in ms. */
export interface PlannedProbe {
  spec: ResolvedProbeSpec;
  def: ProbeDefinition<any>;
  tunables: unknown;
  /** The fault's default health check. */
  healthCheck: boolean;
  timeoutMs: number;
  intervalMs: number;
  initialDelayMs: number;
  pollingMs: number;
}

/** A fault ready to run. */
export interface PlannedFault {
  step: FaultStep;
  stepIndex: number;
  def: FaultDefinition<any, any>;
  pack: string;
  tunables: unknown;
  durationMs: number;
  rampMs: number;
  intervalMs: number | undefined;
  probes: PlannedProbe[];
}

/** A validated experiment: what the runner executes. */
export interface Plan {
  spec: ResolvedSpec;
  steps: Array<{ name: string | undefined; faults: PlannedFault[] }>;
}

/**
 * Validates a spec completely — its shape, every kind, every tunable, every duration, at least one
 * probe per fault — before anything is journaled or injected. Throws FL_SPEC, FL_UNKNOWN_KIND,
 * FL_TUNABLES or FL_DURATION with a message that says where.
 */
export function planExperiment(input: unknown, registry: Registry): Plan {
  const parsed = v.safeParse(experimentSpecSchema, input);
  if (!parsed.success) {
    const issues = parsed.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`);
    throw new FaultlineError('FL_SPEC', `the experiment spec is invalid: ${issues.join('; ')}`, {
      details: { issues },
    });
  }
  const spec = parsed.output;
  const steps = spec.spec.steps.map((st, stepIndex) => ({
    name: st.name,
    faults: st.faults.map((step) => planFault(step, stepIndex, registry)),
  }));
  return { spec, steps };
}

function planFault(step: FaultStep, stepIndex: number, registry: Registry): PlannedFault {
  const where = `fault '${step.id}' (${step.kind})`;
  const { def, pack } = registry.fault(step.kind);
  const tunables = withWhere(where, () => parseTunables(def, step.tunables));
  const probes = step.probes.map((p) => planProbe(p as ResolvedProbeSpec, registry, where, false));
  if (step.healthCheck && def.healthCheck) {
    const hc = v.parse(probeSpecSchema, def.healthCheck(tunables));
    withWhere(where, () => requireHealthProbe(hc.kind, step.kind, pack, registry));
    probes.unshift(planProbe(hc, registry, where, true));
  }
  if (probes.length === 0) {
    throw new FaultlineError(
      'FL_SPEC',
      `${where} has no probe: ${def.healthCheck ? 'healthCheck is false and no probes are given' : `${step.kind} has no default health check and no probes are given`}; a fault with no probe cannot be scored`,
    );
  }
  const durationMs = withWhere(where, () => parseDuration(step.duration));
  const intervalMs =
    step.interval === undefined ? undefined : withWhere(where, () => parseDuration(step.interval!));
  if (intervalMs !== undefined && intervalMs <= 0)
    throw new FaultlineError('FL_SPEC', `${where}: interval must be > 0`);
  return {
    step,
    stepIndex,
    def,
    pack,
    tunables,
    durationMs,
    rampMs: withWhere(where, () => parseDuration(step.rampTime)),
    intervalMs,
    probes,
  };
}

/**
 * The health check's probe kind must be registered, and when it is not, the fault's own pack broke
 * the pack contract: say so, rather than send the user looking for another pack to register.
 */
function requireHealthProbe(probeKind: string, faultKind: string, pack: string, registry: Registry): void {
  if (registry.probeKinds().includes(probeKind)) return;
  throw new FaultlineError(
    'FL_UNKNOWN_KIND',
    `its default health check uses the probe kind '${probeKind}', which no registered pack provides; the fault's pack '${pack}' should provide it (a pack must provide every probe kind its faults' healthCheck returns): update that pack, or set healthCheck: false and give the step probes`,
    { details: { kind: probeKind, fault: faultKind, pack } },
  );
}

function planProbe(
  p: ResolvedProbeSpec,
  registry: Registry,
  where: string,
  healthCheck: boolean,
): PlannedProbe {
  const at = `${where}, probe '${p.name}' (${p.kind})`;
  const { def } = registry.probe(p.kind);
  const rp = p.runProperties;
  return {
    spec: p,
    def,
    tunables: withWhere(at, () => parseTunables(def, p.tunables)),
    healthCheck,
    timeoutMs: withWhere(at, () => parseDuration(rp.timeout)),
    intervalMs: withWhere(at, () => parseDuration(rp.interval)),
    initialDelayMs: withWhere(at, () => parseDuration(rp.initialDelay)),
    pollingMs: Math.max(
      1,
      withWhere(at, () => parseDuration(rp.pollingInterval)),
    ),
  };
}

/** Prefixes a FaultlineError's message with where in the spec it happened. */
function withWhere<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FaultlineError) {
      throw new FaultlineError(e.code, `${where}: ${e.message.replace(/^FL_[A-Z_]+: /, '')}`, {
        cause: e,
        ...(e.details ? { details: { ...e.details } } : {}),
      });
    }
    throw e;
  }
}

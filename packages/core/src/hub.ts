import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as v from 'valibot';
import type { FaultInput } from './builder.js';
import { FaultlineError } from './errors.js';
import type { JsonObject } from './json.js';
import type { FaultTemplate, Pack } from './model.js';
import { parseTunables, type Registry } from './registry.js';
import { probeSpecSchema } from './spec.js';

/** A catalogue of fault templates: kind + preset tunables + description + default probes. */
export interface Hub {
  readonly name: string;
  list(): Promise<FaultTemplate[]>;
  /** A template by name; throws FL_HUB listing the names there are. */
  get(name: string): Promise<FaultTemplate>;
}

const templateSchema = v.object({
  name: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9._-]*$/, 'a template name is lower-case kebab')),
  kind: v.string(),
  description: v.string(),
  tunables: v.optional(v.record(v.string(), v.any()), {}),
  probes: v.optional(v.array(probeSpecSchema)),
});

function hubOf(name: string, load: () => Promise<FaultTemplate[]>): Hub {
  return {
    name,
    list: load,
    async get(templateName) {
      const all = await load();
      const t = all.find((x) => x.name === templateName);
      if (!t)
        throw new FaultlineError(
          'FL_HUB',
          `hub '${name}' has no template '${templateName}' (it has: ${all.map((x) => x.name).join(', ') || 'none'})`,
        );
      return t;
    },
  };
}

/**
 * Every pack is a hub: its own templates, plus one template per fault kind with the kind's defaults
 * (named after the kind, `linux/cpu-stress` → `cpu-stress`).
 */
export function packHub(pack: Pack): Hub {
  const templates: FaultTemplate[] = [...(pack.templates ?? [])];
  for (const f of pack.faults ?? []) {
    const name = f.kind.split('/')[1] ?? f.kind;
    if (!templates.some((t) => t.name === name))
      templates.push({ name, kind: f.kind, description: f.summary, tunables: {} });
  }
  return hubOf(pack.name, async () => templates);
}

/** A team's own hub: every `*.json` file of a folder holds one template or an array of them. */
export function folderHub(dir: string): Hub {
  return hubOf(dir, async () => {
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    } catch (e) {
      throw new FaultlineError('FL_HUB', `cannot read hub folder ${dir}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const out: FaultTemplate[] = [];
    for (const f of files) {
      let data: unknown;
      try {
        data = JSON.parse(await readFile(join(dir, f), 'utf8'));
      } catch (e) {
        throw new FaultlineError('FL_HUB', `${join(dir, f)} is not valid JSON: ${(e as Error).message}`, {
          cause: e,
        });
      }
      for (const [i, t] of (Array.isArray(data) ? data : [data]).entries()) {
        const r = v.safeParse(templateSchema, t);
        if (!r.success) {
          throw new FaultlineError(
            'FL_HUB',
            `${join(dir, f)}${Array.isArray(data) ? `[${i}]` : ''}: ${r.issues.map((x) => `${v.getDotPath(x) ?? '(root)'}: ${x.message}`).join('; ')}`,
          );
        }
        out.push(r.output as FaultTemplate);
      }
    }
    return out;
  });
}

/**
 * Takes a template into an experiment: its preset tunables with `overrides` on top, validated now
 * against the registered definition (FL_TUNABLES, FL_UNKNOWN_KIND), and its default probes.
 */
export function fromTemplate(
  template: FaultTemplate,
  registry: Registry,
  overrides: JsonObject = {},
): FaultInput {
  const tunables = { ...template.tunables, ...overrides };
  parseTunables(registry.fault(template.kind).def, tunables);
  return {
    kind: template.kind,
    tunables,
    ...(template.probes ? { probes: structuredClone(template.probes) } : {}),
  };
}

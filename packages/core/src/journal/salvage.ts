import type { JournalEntry, JournalState } from '../journal.js';
import type { Json } from '../json.js';
import { objectName } from '../names.js';

const STATES = new Set<string>(['injecting', 'active', 'reverting', 'reverted', 'revert_failed']);

/**
 * Rebuilds what can be read of an entry's `begin` line that no longer parses (a flipped byte, a bad
 * sector): its string and number fields one by one, and its tunables and receipt where their JSON
 * is intact. The id (`<runId>:<stepId>:<iteration>`) gives the run, the step and so the names of
 * every object the injection made: enough for recovery to revert it, or to tell a person exactly
 * what to look for. Undefined when the line is not a begin or its id cannot be read.
 */
export function salvageBegin(text: string, note: string): JournalEntry | undefined {
  if (!/"op"\s*:\s*"begin"/.test(text)) return undefined;
  const id = stringField(text, 'id');
  if (id === undefined) return undefined;
  const [idRun, idStep, idIter] = splitId(id);
  const runId = stringField(text, 'runId') ?? idRun;
  const stepId = stringField(text, 'stepId') ?? idStep;
  if (runId === undefined || stepId === undefined) return undefined;
  const iteration = numberField(text, 'iteration') ?? idIter ?? 0;
  const state = stringField(text, 'state');
  const createdAt = stringField(text, 'createdAt') ?? new Date(0).toISOString();
  const receipt = jsonField(text, 'receipt');
  return {
    id,
    runId,
    stepId,
    iteration,
    kind: stringField(text, 'kind') ?? 'unknown',
    pack: stringField(text, 'pack') ?? '',
    tunables: jsonField(text, 'tunables') ?? {},
    objectName: stringField(text, 'objectName') ?? objectName(runId, stepId, iteration),
    // whatever it said, it may still be in effect: recovery must look
    state: (state !== undefined && STATES.has(state) && state !== 'reverted'
      ? state
      : 'active') as JournalState,
    ...(receipt !== undefined ? { receipt } : {}),
    // an unknown boot makes recovery ask present() before reverting
    bootId: stringField(text, 'bootId') ?? 'unknown',
    pid: numberField(text, 'pid') ?? 0,
    pidStart: stringField(text, 'pidStart') ?? 'unknown',
    createdAt,
    updatedAt: createdAt,
    damaged: note,
  };
}

function splitId(id: string): [string | undefined, string | undefined, number | undefined] {
  const m = /^(.+):([^:]+):(\d+)$/.exec(id);
  return m ? [m[1], m[2], Number(m[3])] : [undefined, undefined, undefined];
}

/** The first `"key":"value"` (a JSON string, escapes kept valid) in the text. */
function stringField(text: string, key: string): string | undefined {
  const m = new RegExp(`"${key}"\\s*:\\s*("(?:[^"\\\\\\n]|\\\\.)*")`).exec(text);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as string;
  } catch {
    return undefined;
  }
}

function numberField(text: string, key: string): number | undefined {
  const m = new RegExp(`"${key}"\\s*:\\s*(\\d{1,15})[,}]`).exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The JSON value after `"key":`, when it is an object or array whose brackets (outside strings) balance and that parses. */
function jsonField(text: string, key: string): Json | undefined {
  const m = new RegExp(`"${key}"\\s*:\\s*([[{])`).exec(text);
  if (!m) return undefined;
  const start = m.index + m[0].length - 1;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        try {
          return JSON.parse(text.slice(start, i + 1)) as Json;
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

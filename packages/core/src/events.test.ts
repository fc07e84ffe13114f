import { describe, expect, it } from 'vitest';
import { tempDir, testRuntime } from '../test/helpers.js';
import { touchFiles } from '../test/pack.js';
import { experiment, type FaultlineEvent, faultRef, type Infrastructure } from './index.js';
import { EventStream, parseNdjson } from './internal.js';

describe('events', () => {
  it('a late iterator can start from a seq and gets the rest live, in order', async () => {
    const s = new EventStream('r1');
    for (let i = 0; i < 5; i++) s.emit({ type: 'log', level: 'info', message: `m${i}` });
    const got: number[] = [];
    const reading = (async () => {
      for await (const e of s.from(3)) got.push(e.seq);
    })();
    s.emit({ type: 'log', level: 'info', message: 'live' });
    setTimeout(() => {
      s.emit({ type: 'log', level: 'info', message: 'later' });
      s.close();
    }, 20);
    await reading;
    expect(got).toEqual([4, 5, 6, 7]);
  });

  it('relay keeps the seq and ts an agent stamped, and takes only the next seq', () => {
    const agent = new EventStream('r3');
    agent.emit({ type: 'log', level: 'info', message: 'a' });
    agent.emit({ type: 'log', level: 'info', message: 'b' });
    const [first, second] = agent.snapshot() as [FaultlineEvent, FaultlineEvent];
    const remote = new EventStream('r3');
    const seen: FaultlineEvent[] = [];
    remote.on('*', (e) => seen.push(e));
    remote.relay(first);
    expect(() => remote.relay(first)).toThrow(/next event of run r3 is seq 2, not 1/);
    remote.relay(second);
    expect(seen).toEqual([first, second]);
    expect(remote.seq).toBe(2);
    // a local event after relayed ones goes on from the relayed seq
    expect(remote.emit({ type: 'log', level: 'info', message: 'c' }).seq).toBe(3);
  });

  it('NDJSON lines parse back to the same events', async () => {
    const s = new EventStream('r2');
    s.emit({ type: 'run.aborting', reason: 'x' });
    s.emit({ type: 'log', level: 'warn', message: 'y', stepId: 'a' });
    s.close();
    let text = '';
    for await (const line of s.ndjson()) text += line;
    expect(parseNdjson(text)).toEqual(s.snapshot());
  });

  it("a run's events are kept as an NDJSON log in the state dir and read back by run id after it ended", async () => {
    const dir = await tempDir();
    const rt = await testRuntime({ eventLog: { retain: 3 } });
    const spec = experiment('logged')
      .fault(faultRef(touchFiles, { dir }), { id: 'f', duration: '20ms' })
      .build();
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const run = rt.run(spec);
      const live: FaultlineEvent[] = [];
      for await (const e of run.events) live.push(e);
      await run.result;
      expect(await rt.readRunLog(run.id)).toEqual(live);
      expect(await rt.readRunLog(run.id, 3)).toEqual(live.slice(3));
      runs.push(run.id);
    }
    const kept = await rt.listRunLogs();
    expect(kept).toHaveLength(3);
    expect(kept).toEqual(expect.arrayContaining(runs.slice(2)));
    await expect(rt.readRunLog(runs[0]!)).rejects.toThrow(/no event log/);
    await rt.close();
  });

  it("a run on another infrastructure keeps its id, and its relayed events reach this runtime's log and store", async () => {
    const dir = await tempDir();
    // the "agent": a second runtime; the infrastructure relays its run's events as a remote handle does
    const agent = await testRuntime();
    const relaying: Infrastructure = {
      id: 'relay',
      describe: () => agent.local().describe(),
      execute(spec, o) {
        const there = agent.local().execute(spec, o);
        const events = new EventStream(there.id);
        there.events.on('*', (e) => events.relay(e));
        return { ...there, events, result: there.result.finally(() => events.close()) };
      },
    };
    const stored: FaultlineEvent[] = [];
    const finished: string[] = [];
    const rt = await testRuntime({
      store: { event: (e) => stored.push(e), runFinished: (r) => void finished.push(r.runId) },
    });
    const spec = experiment('relayed')
      .fault(faultRef(touchFiles, { dir }), { id: 'f', duration: '20ms' })
      .build();
    const runId = `relay-${Date.now()}`;
    const run = rt.run(spec, { infrastructure: relaying, runId });
    expect(run.id).toBe(runId);
    const result = await run.result;
    expect([result.runId, result.verdict]).toEqual([runId, 'Pass']);
    const agentLog = await agent.readRunLog(runId);
    expect(stored).toEqual(agentLog);
    expect(await rt.readRunLog(runId)).toEqual(agentLog);
    expect(finished).toEqual([runId]);
    expect(() => rt.run(spec, { runId: 'no/slash' })).toThrow(/FL_SPEC: run id/);
    await Promise.all([rt.close(), agent.close()]);
  });

  it('logs are events, with the fault they belong to', async () => {
    const dir = await tempDir();
    const rt = await testRuntime();
    const run = rt.run(
      experiment('x')
        .fault(faultRef(touchFiles, { dir, failIfExists: dir }), { id: 'oops', duration: '10ms' })
        .build(),
    );
    await run.result;
    const logs = run.events.snapshot().filter((e) => e.type === 'log');
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        stepId: 'oops',
        message: expect.stringMatching(/inject of test\/touch-files failed/),
      }),
    );
  });
});

// How much revert progress the journal's reserve holds on a full disk (root: it mounts a tmpfs).
//
//   npx tsx --conditions=@faultline/source bench/journal-reserve.ts
//
// A FileJournal on an 8 MiB tmpfs begins N entries with a receipt the size a Linux fault writes
// (~300 bytes: an nft table's names), then the disk is filled to the last byte by another file, and
// every entry is moved through `reverting` and `reverted`, a group of 10 at a time (a parallel step's
// revert) — each write that finds no space takes its room from the reserve. It prints the bytes the
// journal wrote per reverted entry, what that took from the 1 MiB reserve, and how many entries the
// whole reserve would record, then how many really fit when more are reverted than it holds.
import { statSync } from 'node:fs';
import { defaultJournalPath, FileJournal, type JournalEntry } from '@faultline/core';
import { JOURNAL_RESERVE_BYTES } from '@faultline/core/internal';
import { mountSmallTmpfs, sampleJournalEntry } from '@faultline/core/testing';

const receipt = {
  table: 'faultline_0a1b2c3d_loss',
  family: 'netdev',
  chains: ['faultline_0a1b2c3d_loss_egress'],
  interfaces: ['veth0a1b2c'],
  namespace: 'ns-0a1b2c-a',
  handles: [12, 13, 14],
  note: 'x'.repeat(120),
};

/** Begins `n` entries, fills the disk, reverts them 10 at a time; how far it got and what it cost. */
async function measure(n: number) {
  const fs = mountSmallTmpfs(8);
  try {
    const path = defaultJournalPath(fs.path);
    const journal = await FileJournal.open(path, { onWarning: () => {} });
    const entries: JournalEntry[] = Array.from({ length: n }, () => sampleJournalEntry());
    for (let i = 0; i < n; i += 50) await Promise.all(entries.slice(i, i + 50).map((e) => journal.begin(e)));
    for (let i = 0; i < n; i += 50)
      await Promise.all(
        entries.slice(i, i + 50).map((e) => journal.update(e.id, { state: 'active', receipt })),
      );
    fs.fill();
    const before = statSync(path).size;
    let reverted = 0;
    let failed: string | undefined;
    for (let i = 0; i < n && !failed; i += 10) {
      const group = entries.slice(i, i + 10);
      try {
        await Promise.all(group.map((e) => journal.update(e.id, { state: 'reverting' })));
        await Promise.all(group.map((e) => journal.update(e.id, { state: 'reverted', revertAttempts: 1 })));
        reverted += group.length;
      } catch (e) {
        failed = (e as Error).message.slice(0, 60);
      }
    }
    const written = statSync(path).size - before;
    const reserveLeft = statSync(`${path}.reserve`).size;
    await journal.close().catch(() => {});
    return { n, reverted, written, used: JOURNAL_RESERVE_BYTES - reserveLeft, free: fs.free(), failed };
  } finally {
    fs.unmount();
  }
}

const small = await measure(200);
const perEntry = small.written / small.reverted;
console.log(
  `journal reserve: ${JOURNAL_RESERVE_BYTES} bytes; receipt of ${JSON.stringify(receipt).length} bytes\n`,
);
console.log(
  '| entries reverted on a full disk | journal bytes written | per entry | taken from the reserve | left free after |',
);
console.log('|---|---|---|---|---|');
console.log(
  `| ${small.reverted} of ${small.n} | ${small.written} | ${perEntry.toFixed(0)} | ${small.used} | ${small.free} |`,
);
console.log(
  `\nthe whole reserve records the revert of ~${Math.floor(JOURNAL_RESERVE_BYTES / perEntry)} entries`,
);
const big = await measure(6000);
console.log(
  `reverting ${big.n} entries on a full disk: ${big.reverted} recorded (${big.written} bytes) before the reserve ran out${big.failed ? ` — then: ${big.failed}…` : ''}`,
);

// Lists every test of the named vitest projects — skipped ones too, which `vitest list` leaves out —
// by collecting them (test files are imported, no test runs). Prints JSON: [{ name, file, mode }].
//   node test/collect-tests.mjs <project> [<project> ...]      (cwd: the repository)
import { createVitest } from 'vitest/node';

const vitest = await createVitest('test', { watch: false, project: process.argv.slice(2), reporters: [] });
try {
  const { testModules } = await vitest.collect();
  const tests = testModules.flatMap((m) =>
    [...m.children.allTests()].map((t) => ({ name: t.fullName, file: m.moduleId, mode: t.options.mode })),
  );
  process.stdout.write(JSON.stringify(tests));
} finally {
  await vitest.close();
}

// A test process that boots a container and never stops it, for the test of what happens to such
// containers. `exit`: it then exits normally (the exit hook must end the container); `hang`: it waits
// to be SIGKILLed (the next boot's sweep must end it). Prints {"name","pid1"} once booted.
import { bootContainer } from './systemd-container.js';

const mode = process.argv[2];
const c = await bootContainer({ name: `orphan-${mode}`, log: () => {} });
process.stdout.write(`${JSON.stringify({ name: c.name, pid1: c.pid1 })}\n`);
if (mode === 'exit') process.exit(0);
setInterval(() => {}, 60_000);

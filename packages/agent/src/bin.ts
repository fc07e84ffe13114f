#!/usr/bin/env node
// The `faultline-agent` command. Everything it does is in daemon/main.ts.
import { main } from './daemon/main.js';

const status = await main(process.argv.slice(2));
if (status !== undefined) process.exit(status);

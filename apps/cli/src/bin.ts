#!/usr/bin/env node
import { main } from './main.js';
import { abandonedWork } from './plugins/time-limit.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// A plugin call that was given up on may hold the event loop open for ever.
if (abandonedWork()) process.exit(code);

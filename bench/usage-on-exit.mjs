// Preloaded into a benchmarked child (`node --import`): writes the process's own resource usage (peak RSS
// included) as JSON to $HEADSTART_BENCH_USAGE when it exits, however it exits.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.HEADSTART_BENCH_USAGE) writeFileSync(process.env.HEADSTART_BENCH_USAGE, JSON.stringify(process.resourceUsage()));
});

// Sessions timed against each other in one process: runs alternated, the order flipped every round, so each
// shares the machine's load alike.

/** Run every `{ session }` of `sessions` on `feeds` `runs` times, pushing CPU and wall ms into its `cpu` and `wall`. */
export async function alternateRuns(sessions, feeds, runs) {
  for (let r = 0; r < runs; r++)
    for (const v of r % 2 ? [...sessions].reverse() : sessions) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await v.session.run(feeds);
      const used = process.cpuUsage(c0);
      v.cpu.push((used.user + used.system) / 1000);
      v.wall.push(performance.now() - t0);
    }
}

// Skeleton of `npm run bench:flood` (issue 4): the CPU cost per packet of the
// prefilter for a banned source, an over-rate source and an accepted one, measured
// from process CPU time over a bounded in-process loop. The full benchmark (SIPp
// calls during floods of rising rates, p99 and success ratio against a no-flood run
// in the same process) needs the wiring in main.ts and comes with it.
//
// Run: npx tsx bench/flood.ts   (or build and run dist/bench/flood.js)

import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createSecurityPipeline, type PacketSource } from '../src/security/index.js';
import { createMemoryStore } from '../src/state/memory.js';

const N = Number(process.env.N ?? 2_000_000);

async function main(): Promise<void> {
  const store = createMemoryStore();
  const config = configSchema.parse({ security: { flood: { packets: { rate: 100, burst: 200 }, banAfterExcess: 1e9 } } });
  const pipeline = createSecurityPipeline(config, {
    store,
    metrics: createMetrics({ version: 'bench', defaultMetrics: false }),
    logger: createLogger({ level: 'silent' }),
    lag: () => 0,
  });
  const source = (a: string): PacketSource => ({ remoteAddress: a, remotePort: 5060, transport: 'udp', realm: 'external' });
  const banned = source('198.51.100.1');
  const flooder = source('198.51.100.2');
  await pipeline.ban(banned.remoteAddress, 'bench', 3_600_000);

  function measure(name: string, s: PacketSource, expect: string): void {
    for (let i = 0; i < 10_000; i++) pipeline.prefilter(s, 400); // warm-up (and empties the flooder's bucket)
    const c0 = process.cpuUsage();
    let wrong = 0;
    for (let i = 0; i < N; i++) if (pipeline.prefilter(s, 400).action !== expect) wrong++;
    const c = process.cpuUsage(c0);
    const us = (c.user + c.system) / N;
    console.log(`${name.padEnd(22)} ${us.toFixed(3)} µs CPU/packet  (${N} packets${wrong > 0 ? `, ${wrong} not ${expect}` : ''})`);
  }

  measure('banned source', banned, 'drop');
  measure('over-rate source', flooder, 'drop');
  // A fresh address per packet would measure bucket creation; one address within its rate is the common case.
  const limitsOff = createSecurityPipeline(configSchema.parse({ security: { flood: { packets: { rate: 1e12, burst: 1e9 } } } }), {
    store,
    metrics: createMetrics({ version: 'bench', defaultMetrics: false }),
    logger: createLogger({ level: 'silent' }),
    lag: () => 0,
  });
  const c0 = process.cpuUsage();
  const ok = source('192.0.2.1');
  for (let i = 0; i < N; i++) limitsOff.prefilter(ok, 400);
  const c = process.cpuUsage(c0);
  console.log(`${'accepted source'.padEnd(22)} ${((c.user + c.system) / N).toFixed(3)} µs CPU/packet`);
  pipeline.close();
  limitsOff.close();
  await store.close();
}

void main();

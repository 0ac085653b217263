// A bounded UDP flood source, forked by test/helpers/flood.ts (and bench/flood.ts).
// Plain JavaScript so it starts in milliseconds without a TypeScript loader.
//
// It receives its orders over IPC: { host, port, sourceIp, rate, durationMs,
// maxPackets, sockets, packets: string[] (latin1) }, sends the packets round-robin at
// `rate` per second (paced every millisecond or so, in bursts) until durationMs has
// passed or maxPackets were sent, then reports { sent, errors, elapsedMs } and exits.
// It never outlives durationMs + 5 s, whatever happens to its parent.
import { createSocket } from 'node:dgram';

const MAX_INFLIGHT = 4096;

process.once('message', async (o) => {
  const hardStop = setTimeout(() => process.exit(3), o.durationMs + 5000);
  hardStop.unref();
  const packets = o.packets.map((p) => Buffer.from(p, 'latin1'));
  const socks = [];
  for (let i = 0; i < Math.max(1, o.sockets ?? 1); i++) {
    const s = createSocket(o.host.includes(':') ? 'udp6' : 'udp4');
    s.on('error', () => { errors++; });
    await new Promise((r) => s.bind(0, o.sourceIp, r));
    await new Promise((r) => s.connect(o.port, o.host, r));
    socks.push(s);
  }
  let sent = 0;
  let errors = 0;
  let inflight = 0;
  const onSent = (err) => { inflight--; if (err) errors++; };
  const t0 = performance.now();
  const until = t0 + o.durationMs;
  let stopped = false;
  process.on('message', (m) => { if (m === 'stop') stopped = true; });
  while (!stopped && sent < o.maxPackets) {
    const now = performance.now();
    if (now >= until) break;
    // how many should be out by now; send the difference (bounded by the in-flight cap)
    const due = Math.min(o.maxPackets, Math.floor(((now - t0) / 1000) * o.rate));
    let n = Math.min(due - sent, MAX_INFLIGHT - inflight);
    while (n-- > 0) {
      inflight++;
      socks[sent % socks.length].send(packets[sent % packets.length], onSent);
      sent++;
    }
    // yield to libuv so sends complete and IPC is read; ~1 ms granularity
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsedMs = performance.now() - t0;
  // let the last sends complete (bounded)
  const drainUntil = performance.now() + 1000;
  while (inflight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  for (const s of socks) s.close();
  process.send({ sent, errors, elapsedMs }, () => process.exit(0));
});

// slowclients.mjs - many slow HTTP clients, in a process of their own.
//
// hardening.test.mjs starts this script with a raised descriptor limit
// (prlimit), so a thousand sockets fit whatever `ulimit -n` the test runner
// has. Each client connects from a given local address (any of 127/8 is
// this host), writes the start of a request, then one more byte every
// intervalMs, for ever, as a client that wants to hold a connection would.
// With `reconnect`, a client the server cut connects again at once.
//
//   node slowclients.mjs '{"port":N,"host":"127.0.0.1","groups":[{"local":"127.0.0.10",
//     "count":64,"start":"GET / HTTP/1.1\r\n","drip":"X","intervalMs":2000,"reconnect":true}]}'
//
// ("pad": N more bytes of "a" after start, for large heads.)
//
// stdout: one JSON line every 250 ms, {"t":ms,"open":n,"connected":n,"cut":n,
// "statuses":{"503":n},"errors":n}, where open counts sockets not yet closed,
// connected those past the handshake, cut the closes the server made, and
// statuses the status lines the server sent. On SIGTERM (or "stop" on stdin):
// a last line {"final":[{group,t_open,t_connect,t_close,cut,status,retryAfter}...]}
// for every connection made, then exit 0.
import net from 'node:net';

const cfg = JSON.parse(process.argv[2]);
const t0 = Date.now();
const all = [];
const live = new Set();
let stopping = false;

function open(gi) {
  const g = cfg.groups[gi];
  const rec = { group: gi, t_open: Date.now() - t0, t_connect: null, t_close: null, cut: false, status: null,
    retryAfter: null };
  all.push(rec);
  const s = net.connect({ port: cfg.port, host: cfg.host ?? '127.0.0.1', localAddress: g.local });
  live.add(s);
  let buf = '';
  let timer = null;
  s.setNoDelay(true);
  s.on('connect', () => {
    rec.t_connect = Date.now() - t0;
    s.write(g.start + 'a'.repeat(g.pad ?? 0));
    timer = setInterval(() => {
      if (!s.destroyed && s.writable) s.write(g.drip);
    }, g.intervalMs);
  });
  s.on('data', (d) => {
    if (rec.status !== null) return;
    buf += d.toString('latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf);
    if (m && buf.includes('\r\n\r\n')) {
      rec.status = Number(m[1]);
      const ra = /\r\nretry-after:\s*(\d+)/i.exec(buf);
      rec.retryAfter = ra ? Number(ra[1]) : null;
    }
  });
  const done = () => {
    if (rec.t_close !== null) return;
    rec.t_close = Date.now() - t0;
    clearInterval(timer);
    live.delete(s);
    if (!stopping) {
      rec.cut = true;
      if (g.reconnect) setImmediate(() => open(gi));
    }
  };
  s.on('end', () => s.destroy());
  s.on('close', done);
  s.on('error', () => {});
}

for (let gi = 0; gi < cfg.groups.length; gi++) {
  for (let i = 0; i < cfg.groups[gi].count; i++) open(gi);
}

const tick = setInterval(() => {
  const statuses = {};
  for (const r of all) if (r.status !== null) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  process.stdout.write(`${JSON.stringify({
    t: Date.now() - t0,
    open: live.size,
    connected: [...all].filter((r) => r.t_connect !== null && r.t_close === null).length,
    cut: all.filter((r) => r.cut).length,
    statuses,
  })}\n`);
}, 250);

function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  for (const s of live) s.destroy();
  process.stdout.write(`${JSON.stringify({ final: all })}\n`, () => process.exit(0));
}
process.on('SIGTERM', stop);
process.stdin.on('data', (d) => {
  if (d.toString().includes('stop')) stop();
});
process.stdin.on('end', stop);

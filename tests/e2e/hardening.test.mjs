// hardening.test.mjs - slow and abusive clients, dual-stack listening,
// IPv4-mapped addresses and core dumps (issue 9, items 4, 5, 7 and 9).
//
//   - a request head or body trickled a byte at a time is cut at its
//     deadline (LIM_HTTP_HEAD_TIMEOUT_S, LIM_HTTP_BODY_TIMEOUT_S), however
//     active the client is;
//   - behind a trusted proxy, one client gets at most
//     LIM_HTTP_REQUESTS_PER_CLIENT requests in flight; the rest get 503
//     with Retry-After;
//   - /healthz from a fresh address keeps answering while 1,024 slow
//     clients (16 addresses x 64, what filled every slot before) hold
//     connections, and when the server is busy, idle keep-alive connections
//     go first and heavy addresses get 503 with Retry-After;
//   - listen = [::]:PORT serves IPv4 and IPv6, and IPv4 clients arrive as
//     themselves (not ::ffff:a.b.c.d) in logs, rate limits and
//     trusted_proxies;
//   - the running binary cannot dump core.
//
// Many sockets are opened by tests/e2e/lib/slowclients.mjs, a child
// process started with a raised descriptor limit (prlimit), and the
// providers that must hold them get one too, so these tests do not depend
// on the test runner's `ulimit -n`. Local addresses 127.0.0.2 and up are
// "other machines" (all of 127/8 is this host); 127.0.0.1 is the harness's
// trusted proxy.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  authRequest, BIN, defaultClients, FakePlex, freePort, Provider, readLimits, runLogPath, sleep, startStack, tempDir,
  writeConfig,
} from './lib/harness.mjs';

const LIM = readLimits();
for (const k of ['LIM_HTTP_HEAD_TIMEOUT_S', 'LIM_HTTP_BODY_TIMEOUT_S', 'LIM_HTTP_REQUESTS_PER_CLIENT',
  'LIM_HTTP_CONNECTIONS_PER_IP', 'LIM_HTTP_CONNECTIONS_PER_IP_BUSY', 'LIM_HTTP_BUSY_RETRY_AFTER_S',
  'LIM_HTTP_CONNECTIONS_RESERVE', 'LIM_PLEX_INFLIGHT_MAX', 'LIM_HTTP_REAP_INTERVAL_MS']) {
  assert.ok(Number.isInteger(LIM[k]) && LIM[k] > 0, `${k} in src/po_limits.h`);
}
const HEAD_MS = LIM.LIM_HTTP_HEAD_TIMEOUT_S * 1000;
const BODY_MS = LIM.LIM_HTTP_BODY_TIMEOUT_S * 1000;
const FD_RESERVE = LIM.LIM_PLEX_INFLIGHT_MAX + 64; // LIM_HTTP_FD_RESERVE
const SLACK_MS = 3000; // the reaper's interval, plus a busy CI machine

const SLOWCLIENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib/slowclients.mjs');

// The hard descriptor limit of this process: what a child may raise its
// soft limit to without privileges.
function hardNofile() {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
}
const nofile = (n) => ['prlimit', `--nofile=${Math.min(n, hardNofile())}:${Math.min(n, hardNofile())}`, '--'];
// The slow-client tests need a few thousand descriptors in the generator
// and the provider: raising the soft limit needs no privilege, the hard
// limit does.
const needFds = () => assert.ok(hardNofile() >= 4500,
  `these tests need a hard descriptor limit of 4500 or more (ulimit -Hn is ${hardNofile()})`);

// ---------------------------------------------------------------- helpers

// Starts the slow-client generator; resolves to {status(), waitFor(pred), stop()}.
function slowClients(port, groups) {
  needFds();
  const child = spawn(nofile(16384)[0], [...nofile(16384).slice(1), process.execPath, SLOWCLIENTS,
    JSON.stringify({ port, groups })], { stdio: ['pipe', 'pipe', 'inherit'] });
  let last = null;
  let final = null;
  const waiters = [];
  const rl = readline.createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    const j = JSON.parse(line);
    if (j.final) final = j.final;
    else last = j;
    for (const w of [...waiters]) w();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    status: () => last,
    async waitFor(pred, timeoutMs, what) {
      const t0 = Date.now();
      while (!(last && pred(last))) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
        await new Promise((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 300);
        });
        waiters.length = 0;
      }
      return last;
    },
    async stop() {
      child.stdin.end('stop\n');
      await exited;
      return final;
    },
  };
}

// One GET on a fresh connection from localAddress. Resolves {status, ms}
// or {error, ms}.
function getFrom(url, { localAddress, headers = {}, timeoutMs = 3000, family } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const req = http.get(url, { agent: false, localAddress, headers, family, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, ms: Date.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ error: e.message, ms: Date.now() - t0 }));
  });
}

// A raw connection; resolves when connected to {sock, data(), closed, closedAt}.
function rawConn(port, { host = '127.0.0.1', localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const st = { chunks: [], closed: false, closedAt: null };
    const sock = net.connect({ port, host, localAddress });
    st.sock = sock;
    st.data = () => Buffer.concat(st.chunks).toString('latin1');
    sock.on('data', (d) => st.chunks.push(d));
    sock.on('close', () => {
      st.closed = true;
      st.closedAt = Date.now();
    });
    sock.on('error', () => {});
    sock.once('connect', () => resolve(st));
    sock.once('error', reject);
  });
}

const vmRssKiB = (pid) => Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// ---------------------------------------------------------------- deadlines

describe('deadlines that activity does not move (item 4)', { concurrency: 1 }, () => {
  let s;
  before(async () => {
    s = await startStack({ spawnPrefix: nofile(8192) });
  });
  after(async () => {
    await s?.stop();
  });

  test(`a head trickled one byte every 2 s is cut at LIM_HTTP_HEAD_TIMEOUT_S (${LIM.LIM_HTTP_HEAD_TIMEOUT_S} s)`, async () => {
    const p = s.provider;
    const c = await rawConn(p.port, { localAddress: '127.0.0.2' });
    const t0 = Date.now();
    c.sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => c.sock.writable && c.sock.write('X'), 2000);
    try {
      while (!c.closed && Date.now() - t0 < HEAD_MS + SLACK_MS + 5000) await sleep(100);
    } finally {
      clearInterval(drip);
      c.sock.destroy();
    }
    const ms = (c.closedAt ?? Date.now()) - t0;
    assert.ok(c.closedAt, `still open after ${ms} ms of a byte every 2 s`);
    assert.ok(ms >= HEAD_MS - 500 && ms <= HEAD_MS + SLACK_MS, `cut after ${ms} ms`);
    assert.equal(c.data(), '', 'no answer to a head that never ended');
    assert.match(p.logText(), /http: closed \d+ connection\(s\) that sent no complete request head in time/);
  });

  test('the idle keep-alive allowance is not a way around it: a slow second head is cut too', async () => {
    const p = s.provider;
    const c = await rawConn(p.port, { localAddress: '127.0.0.3' });
    c.sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    while (!c.data().includes('ok\n')) await sleep(20);
    const t0 = Date.now();
    c.sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => c.sock.writable && c.sock.write('X'), 2000);
    const bound = (LIM.LIM_HTTP_CONN_TIMEOUT_S * 1000) + HEAD_MS + SLACK_MS;
    try {
      while (!c.closed && Date.now() - t0 < bound + 5000) await sleep(100);
    } finally {
      clearInterval(drip);
      c.sock.destroy();
    }
    assert.ok(c.closedAt && c.closedAt - t0 <= bound, `cut after ${(c.closedAt ?? Date.now()) - t0} ms (bound ${bound})`);
  });
});

describe('a trickled body behind a trusted proxy (item 4)', () => {
  let s;
  before(async () => {
    s = await startStack({ spawnPrefix: nofile(8192) });
  });
  after(async () => {
    await s?.stop();
  });

  test('1,030 POST /token from one client: LIM_HTTP_REQUESTS_PER_CLIENT in flight, the rest 503 + Retry-After; ' +
    'bodies cut at LIM_HTTP_BODY_TIMEOUT_S; /healthz and other clients answer throughout', async () => {
    const p = s.provider;
    const N = 1030;
    const per = LIM.LIM_HTTP_REQUESTS_PER_CLIENT;
    // The harness's trusted proxy is 127.0.0.1: every connection comes from
    // it, naming one client in X-Forwarded-For.
    const start = 'POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 198.51.100.77\r\n' +
      'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 16000\r\n\r\ngrant_type=';
    const gen = slowClients(p.port, [{ local: '127.0.0.1', count: N, start, drip: 'a', intervalMs: 1000 }]);
    try {
      const t0 = Date.now();
      // The refusals come at once, with a 503 each.
      const st = await gen.waitFor((x) => (x.statuses[503] ?? 0) >= N - per, 20000, `${N - per} answers 503`);
      const refusedMs = Date.now() - t0;
      // While the admitted ones trickle: the service answers.
      for (let i = 0; i < 4; i++) {
        const h = await getFrom(p.url('/healthz'), { localAddress: '127.0.0.201' });
        assert.equal(h.status, 200, `/healthz while ${per} bodies trickle: ${JSON.stringify(h)}`);
        const other = await getFrom(p.url('/healthz'), { headers: { 'x-forwarded-for': '198.51.100.78' } });
        assert.equal(other.status, 200, `another client behind the proxy: ${JSON.stringify(other)}`);
        await sleep(500);
      }
      assert.equal(st.statuses[503], N - per, JSON.stringify(st));
      // The admitted ones are cut at the body deadline, without an answer.
      await gen.waitFor((x) => x.cut >= N, BODY_MS + SLACK_MS + 15000, 'every connection cut or answered');
      const final = await gen.stop();
      const admitted = final.filter((r) => r.status === null);
      const refused = final.filter((r) => r.status === 503);
      assert.equal(admitted.length, per, `${admitted.length} kept without an answer`);
      assert.equal(refused.length, N - per);
      assert.ok(refused.every((r) => r.retryAfter === LIM.LIM_HTTP_BUSY_RETRY_AFTER_S), 'Retry-After on every 503');
      for (const r of admitted) {
        const held = r.t_close - r.t_connect;
        assert.ok(held >= BODY_MS - 500 && held <= BODY_MS + SLACK_MS + refusedMs, `a trickled body held ${held} ms`);
      }
      assert.match(p.logText(), /http: closed \d+ connection\(s\) that sent no complete request head in time, [1-9]\d* no complete body/);
      console.log(`# ${N - per} refused within ${refusedMs} ms; ${per} bodies cut after ` +
        `${Math.min(...admitted.map((r) => r.t_close - r.t_connect))}-${Math.max(...admitted.map((r) => r.t_close - r.t_connect))} ms`);
    } finally {
      await gen.stop();
    }
  });
});

describe('1,024 slow clients (item 4)', () => {
  let s;
  before(async () => {
    s = await startStack({ spawnPrefix: nofile(8192), logLevel: 'info' });
  });
  after(async () => {
    await s?.stop();
  });

  test('/healthz from a fresh address keeps answering while 16 addresses x 64 trickle their heads', async () => {
    const p = s.provider;
    const groups = Array.from({ length: 16 }, (_, i) => ({
      local: `127.0.0.${10 + i}`, count: 64, start: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', drip: 'X',
      intervalMs: 2000, reconnect: true,
    }));
    const rss0 = vmRssKiB(p.child.pid);
    const gen = slowClients(p.port, groups);
    try {
      const t0 = Date.now();
      await gen.waitFor((x) => x.connected >= 1000, 20000, '1,000 slow clients connected');
      const rss = vmRssKiB(p.child.pid);
      // Probe through the first head deadline and the reconnections after.
      const probes = [];
      let minConnected = Infinity;
      while (Date.now() - t0 < HEAD_MS + SLACK_MS + 4000) {
        minConnected = Math.min(minConnected, gen.status().connected);
        probes.push(await getFrom(p.url('/healthz'), { localAddress: '127.0.0.200' }));
        await sleep(400);
      }
      const bad = probes.filter((x) => x.status !== 200);
      assert.deepEqual(bad, [], `${bad.length} of ${probes.length} probes failed`);
      const st = gen.status();
      assert.ok(st.cut >= 1000, `the slow heads were cut at the deadline (${st.cut} cut)`);
      const final = await gen.stop();
      const firstWave = final.slice(0, 1024).filter((r) => r.cut && r.status === null);
      const held = firstWave.map((r) => r.t_close - r.t_connect);
      assert.ok(firstWave.length >= 1000, `${firstWave.length} of the first 1,024 cut without an answer`);
      assert.ok(Math.min(...held) >= HEAD_MS - 500, `one was cut after ${Math.min(...held)} ms`);
      console.log(`# ${probes.length} /healthz probes, slowest ${Math.max(...probes.map((x) => x.ms))} ms, ` +
        `while >= ${minConnected} slow clients were connected; first wave held ${Math.min(...held)}-${Math.max(...held)} ms; ` +
        `provider VmRSS ${rss0} KiB idle, ${rss} KiB with 1,024 slow clients`);
    } finally {
      await gen.stop();
    }
  });
});

describe('a busy server (item 4): idle keep-alive goes first, heavy addresses get 503', () => {
  // A provider with few descriptors: it holds fewer connections (and says
  // so in its log), so "busy" comes sooner.
  const NOFILE = 1100;
  const MAX = NOFILE - FD_RESERVE;
  const RESERVE = Math.min(LIM.LIM_HTTP_CONNECTIONS_RESERVE, Math.floor(MAX / 4));
  let s;
  before(async () => {
    s = await startStack({ spawnPrefix: nofile(NOFILE), logLevel: 'info' });
  });
  after(async () => {
    await s?.stop();
  });

  test('the provider fits its connection limit to its descriptors and says so', () => {
    assert.match(s.provider.logText(), new RegExp(`only ${NOFILE} file descriptors .*serving at most ${MAX} connections`));
  });

  test('a fresh address is served, the oldest idle connection closed for it; a heavy address gets 503 + Retry-After', async () => {
    const p = s.provider;
    // 40 idle keep-alive connections, oldest first.
    const idle = [];
    for (let i = 1; i <= 40; i++) {
      const c = await rawConn(p.port, { localAddress: `127.0.1.${i}` });
      c.sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      while (!c.data().includes('ok\n')) await sleep(5);
      idle.push(c);
    }
    // Slow heads from 10 addresses x 64: past the busy mark.
    const busyAt = MAX - RESERVE;
    const groups = Array.from({ length: 10 }, (_, i) => ({
      local: `127.0.0.${30 + i}`, count: 64, start: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', drip: 'X',
      intervalMs: 2000,
    }));
    const gen = slowClients(p.port, groups);
    try {
      await gen.waitFor((x) => x.connected + x.cut >= 640, 15000, 'the slow clients connected');
      await sleep(500);
      assert.ok(idle.every((c) => !c.closed), 'heavy addresses take no idle slot');
      const held = gen.status().connected + 40;
      assert.ok(held >= busyAt - 10 && held <= busyAt + 10 * LIM.LIM_HTTP_REFUSED_PER_IP,
        `${held} connections held, busy at ${busyAt}`);
      // A fresh address is served, and an idle keep-alive connection
      // makes room for it: the oldest first. (The harness may hold an
      // idle connection or two of its own, older than ours: fetch keeps
      // them for a few seconds.)
      let probes = 0;
      while (!idle[0].closed && probes < 4) {
        const h = await getFrom(p.url('/healthz'), { localAddress: `127.0.0.${250 - probes}` });
        assert.equal(h.status, 200, JSON.stringify(h));
        probes++;
        await sleep(300);
      }
      assert.ok(idle[0].closed, `the oldest idle connection was closed after ${probes} fresh client(s)`);
      assert.ok(idle.slice(1).every((c) => !c.closed), 'only the oldest');
      // A heavy address with a whole request gets an answer, not a reset.
      const heavy = await getFrom(p.url('/healthz'), { localAddress: '127.0.0.30' });
      assert.equal(heavy.status, 503, JSON.stringify(heavy));
      assert.equal(heavy.headers['retry-after'], String(LIM.LIM_HTTP_BUSY_RETRY_AFTER_S));
      assert.equal(heavy.headers.connection, 'close');
      assert.match(heavy.body, /try again/i);
      // More fresh addresses: served, and the next idle one goes. (A slow
      // client cut at its deadline meanwhile frees a slot, and a fresh
      // address then needs no eviction: hence up to 4 probes here too.)
      probes = 0;
      while (!idle[1].closed && probes < 4) {
        const h = await getFrom(p.url('/healthz'), { localAddress: `127.0.0.${240 - probes}` });
        assert.equal(h.status, 200, JSON.stringify(h));
        probes++;
        await sleep(300);
      }
      assert.ok(idle[1].closed, `the next oldest idle connection was closed after ${probes} fresh client(s)`);
      assert.ok(!idle[2].closed, 'and not the one after it');
    } finally {
      await gen.stop();
      for (const c of idle) c.sock.destroy();
    }
  });

  test('one address without a proxy: LIM_HTTP_CONNECTIONS_PER_IP connections, then 503 + Retry-After', async () => {
    const p = s.provider;
    const per = LIM.LIM_HTTP_CONNECTIONS_PER_IP;
    const hold = [];
    try {
      for (let i = 0; i < per; i++) hold.push(await rawConn(p.port, { localAddress: '127.0.0.60' }));
      const over = await getFrom(p.url('/healthz'), { localAddress: '127.0.0.60' });
      assert.equal(over.status, 503, JSON.stringify(over));
      assert.equal(over.headers['retry-after'], String(LIM.LIM_HTTP_BUSY_RETRY_AFTER_S));
      assert.equal((await getFrom(p.url('/healthz'), { localAddress: '127.0.0.61' })).status, 200);
    } finally {
      for (const c of hold) c.sock.destroy();
    }
    await sleep(200);
    assert.equal((await getFrom(p.url('/healthz'), { localAddress: '127.0.0.60' })).status, 200, 'served again');
  });
});

// ---------------------------------------------------------------- dual stack

// A provider listening on [::]:PORT (the issuer stays http://127.0.0.1:PORT).
class DualStackProvider extends Provider {
  writeConfig() {
    super.writeConfig();
    const text = fs.readFileSync(this.configPath, 'utf8');
    assert.match(text, /^listen = 127\.0\.0\.1:\d+$/m);
    fs.writeFileSync(this.configPath, text.replace(/^listen = 127\.0\.0\.1:(\d+)$/m, 'listen = [::]:$1'), { mode: 0o600 });
  }
}

describe('listen = [::]:PORT (items 7 and 5)', () => {
  let fake;
  let p;
  before(async () => {
    fake = await FakePlex.start();
    p = new DualStackProvider({ fake });
    await p.init();
    await p.launch(); // waits for /healthz over 127.0.0.1
  });
  after(async () => {
    try {
      await p?.stop();
    } finally {
      await fake?.stop();
    }
  });

  test('answers over IPv4 (127.0.0.1) and IPv6 (::1)', async () => {
    const v4 = await getFrom(`http://127.0.0.1:${p.port}/healthz`);
    assert.equal(v4.status, 200, JSON.stringify(v4));
    const v6 = await getFrom(`http://[::1]:${p.port}/healthz`);
    assert.equal(v6.status, 200, JSON.stringify(v6));
    const other = await getFrom(`http://127.0.0.9:${p.port}/healthz`, { localAddress: '127.0.0.9' });
    assert.equal(other.status, 200);
  });

  test('an IPv4 client is logged as itself, not as ::ffff:a.b.c.d', async () => {
    await getFrom(`http://127.0.0.1:${p.port}/jwks`, { localAddress: '127.0.0.7' });
    await getFrom(`http://[::1]:${p.port}/jwks`);
    await sleep(100);
    const lines = p.logText().split('\n').filter((l) => / GET \/jwks 200 /.test(l));
    assert.ok(lines.some((l) => / client=127\.0\.0\.7(\s|$)/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / client=::1(\s|$)/.test(l)), lines.join('\n'));
    assert.doesNotMatch(p.logText(), /::ffff:/i);
  });

  test('trusted_proxies = 127.0.0.1 matches the proxy through the dual-stack socket', async () => {
    await getFrom(`http://127.0.0.1:${p.port}/jwks?x=1`, { headers: { 'x-forwarded-for': '203.0.113.44' } });
    await sleep(100);
    assert.match(p.logText(), / GET \/jwks 200 .* client=203\.0\.113\.44/);
  });

  test('X-Forwarded-For on two lines is one list: the client is found from the right of the last', async () => {
    // RFC 9110 §5.3: the lines combine in order. Walking from the right,
    // 127.0.0.1 (trusted) is passed over; 203.0.113.51 is the client.
    const r = await getFrom(`http://127.0.0.1:${p.port}/jwks?x=2`,
      { headers: { 'x-forwarded-for': ['203.0.113.50', '203.0.113.51, 127.0.0.1'] } });
    assert.equal(r.status, 200, JSON.stringify(r));
    await sleep(100);
    assert.match(p.logText(), / GET \/jwks 200 .* client=203\.0\.113\.51(\s|$)/m);
  });

  test('two IPv4 clients through the dual-stack socket have separate rate limits (item 5)', async () => {
    // /authorize straight from two addresses (not through the proxy).
    const q = new URLSearchParams(authRequest(p).params);
    const from = (addr) => getFrom(`http://127.0.0.1:${p.port}/authorize?${q}`, { localAddress: addr });
    let limited = null;
    for (let i = 0; i < 200 && !limited; i++) {
      const r = await from('127.0.0.2');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200, JSON.stringify(r).slice(0, 300));
    }
    assert.ok(limited, '127.0.0.2 was rate limited');
    const other = await from('127.0.0.3');
    assert.equal(other.status, 200, '127.0.0.3 has its own bucket');
  });
});

describe('IPv4-mapped client addresses (item 5)', () => {
  let s;
  before(async () => {
    s = await startStack();
  });
  after(async () => {
    await s?.stop();
  });

  test('X-Forwarded-For ::ffff:a.b.c.d from a dual-stack proxy: its own rate limit, logged as a.b.c.d', async () => {
    // A proxy listening dual-stack reports IPv4 clients this way. Before
    // the fix all of them shared one rate-limit bucket (the IPv6 /64
    // ::ffff:0:0/64).
    const p = s.provider;
    const q = new URLSearchParams(authRequest(p).params);
    const from = (xff) => getFrom(p.url(`/authorize?${q}`), { headers: { 'x-forwarded-for': xff } });
    let limited = null;
    for (let i = 0; i < 200 && !limited; i++) {
      const r = await from('::ffff:198.51.100.1');
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200, JSON.stringify(r).slice(0, 300));
    }
    assert.ok(limited, '::ffff:198.51.100.1 was rate limited');
    assert.equal((await from('::ffff:198.51.100.2')).status, 200, 'another IPv4 client has its own bucket');
    assert.equal((await from('198.51.100.1')).status, 429, 'the plain spelling is the same client');
    await sleep(100);
    assert.match(p.logText(), / GET \/authorize 200 .* client=198\.51\.100\.2(\s|$)/m);
    assert.doesNotMatch(p.logText(), /client=::ffff:/i);
  });
});

// ---------------------------------------------------------------- core dumps

describe('core dumps (item 9)', () => {
  test('the running binary has RLIMIT_CORE 0 and is not dumpable, whatever it was started with', async () => {
    const fake = await FakePlex.start();
    const dir = await tempDir();
    const port = await freePort();
    const dataDir = path.join(dir, 'data');
    const configPath = path.join(dir, 'plex-oidc.ini');
    const logPath = runLogPath(dir, 'provider.log');
    // Not dumpable shows as /proc/PID/* owned by root instead of the
    // process's user: so run it as a user that is not root (nobody, when
    // the test itself runs as root).
    const asRoot = process.getuid() === 0;
    const uid = asRoot ? 65534 : process.getuid();
    const gid = asRoot ? 65534 : process.getgid();
    writeConfig(configPath, { port, dataDir, fake, clients: defaultClients() });
    if (asRoot) {
      fs.chownSync(dir, uid, gid);
      fs.chownSync(configPath, uid, gid);
      fs.chmodSync(dir, 0o700);
    }
    fs.accessSync(BIN, fs.constants.X_OK);
    const fd = fs.openSync(logPath, 'a');
    if (asRoot) fs.fchownSync(fd, uid, gid);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEX_OIDC_')));
    // Started with core dumps allowed, unlimited.
    const child = spawn('prlimit', ['--core=unlimited:unlimited', '--', BIN, '--config', configPath],
      { stdio: ['ignore', fd, fd], env, uid, gid });
    fs.closeSync(fd);
    try {
      let up = false;
      for (let i = 0; i < 150 && !up && child.exitCode === null; i++) {
        up = (await getFrom(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 1000 })).status === 200;
        if (!up) await sleep(100);
      }
      assert.ok(up, `the provider did not start:\n${fs.readFileSync(logPath, 'utf8')}`);
      const limits = fs.readFileSync(`/proc/${child.pid}/limits`, 'utf8');
      assert.match(limits, /^Max core file size\s+0\s+0\s+bytes/m, limits);
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s`, 'm'), 'it runs as the user it was started as');
      const owner = fs.statSync(`/proc/${child.pid}/environ`).uid;
      assert.equal(owner, 0, `/proc/PID/environ is owned by uid ${owner}: the process is dumpable`);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await fake.stop();
    }
  });
});

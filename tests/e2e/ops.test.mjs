// ops.test.mjs - what an operator runs plex-oidc with (docs/OPERATIONS.md):
// /healthz, /metrics in the Prometheus text format with counters that move
// when logins, denials, token exchanges and plex.tv faults happen, the
// request log (one line per request, no query strings, a request id), and
// a graceful stop on SIGTERM (requests in flight are answered, exit 0, the
// port is closed).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import {
  authorize, authRequest, CookieJar, form, loginForCode, loginHttp, loginStart, recordSecret, request, sleep,
  startStack, tokenRequest,
} from './lib/harness.mjs';

// ---------------------------------------------------------------- Prometheus text format 0.0.4

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const SAMPLE_RE = new RegExp(`^(${NAME})(\\{(?:${LABEL})(?:,(?:${LABEL}))*,?\\})? ` +
  '(-?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]Inf|NaN)(?: -?\\d+)?$');

function parseLabels(s) {
  const out = {};
  if (!s) return out;
  for (const m of s.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2];
  return out;
}

const sampleKey = (name, labels = {}) =>
  `${name}{${Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(',')}}`;

// Parses and checks the exposition: every line a HELP, a TYPE or a sample;
// every sample of a family declared by TYPE before it; no sample twice;
// counters not negative; histogram buckets cumulative, ending with +Inf
// equal to _count. Returns {types, samples: Map(key -> number), get()}.
function parseProm(text) {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const types = new Map();
  const helps = new Map();
  const samples = new Map();
  const hist = new Map(); // family{labels without le} -> [{le, v}]
  const lines = text.slice(0, -1).split('\n');
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1}: ${line}`;
    let m;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      assert.ok(!helps.has(m[1]), `HELP twice, ${where}`);
      helps.set(m[1], m[2]);
      continue;
    }
    if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      assert.ok(!types.has(m[1]), `TYPE twice, ${where}`);
      types.set(m[1], m[2]);
      continue;
    }
    assert.ok(!line.startsWith('#'), `a comment that is neither HELP nor TYPE, ${where}`);
    m = SAMPLE_RE.exec(line);
    assert.ok(m, `not a valid sample line, ${where}`);
    const [, name, rawLabels, rawValue] = m;
    const labels = parseLabels(rawLabels);
    const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
    let family = name;
    if (!types.has(name)) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      assert.equal(types.get(base), 'histogram', `sample of an undeclared family, ${where}`);
      family = base;
    }
    const type = types.get(family);
    if (type === 'counter') assert.ok(value >= 0 && Number.isFinite(value), `negative counter, ${where}`);
    if (type === 'histogram') {
      assert.ok(name !== family, `a histogram sample must be _bucket, _sum or _count, ${where}`);
      if (name.endsWith('_bucket')) {
        assert.ok('le' in labels, `bucket without le, ${where}`);
        const { le, ...rest } = labels;
        const k = sampleKey(family, rest);
        if (!hist.has(k)) hist.set(k, []);
        hist.get(k).push({ le: le === '+Inf' ? Infinity : Number(le), v: value });
      }
    }
    const key = sampleKey(name, labels);
    assert.ok(!samples.has(key), `sample twice, ${where}`);
    samples.set(key, value);
  }
  for (const [k, buckets] of hist) {
    for (let i = 1; i < buckets.length; i++) {
      assert.ok(buckets[i].le > buckets[i - 1].le, `${k}: le not increasing`);
      assert.ok(buckets[i].v >= buckets[i - 1].v, `${k}: buckets not cumulative`);
    }
    assert.equal(buckets.at(-1).le, Infinity, `${k}: the last bucket is +Inf`);
    const family = k.slice(0, k.indexOf('{'));
    const labels = k.slice(k.indexOf('{'));
    const count = samples.get(`${family}_count${labels}`);
    assert.equal(count, buckets.at(-1).v, `${k}: _count equals the +Inf bucket`);
    assert.ok(samples.has(`${family}_sum${labels}`), `${k}: has _sum`);
  }
  for (const name of types.keys()) assert.ok(helps.has(name), `${name} has a HELP line`);
  return {
    types,
    samples,
    get(name, labels = {}) {
      const v = samples.get(sampleKey(name, labels));
      assert.notEqual(v, undefined, `no sample ${sampleKey(name, labels)}`);
      return v;
    },
  };
}

async function metrics(p) {
  const r = await request(p.url('/metrics'));
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseProm(r.text);
}

// plex-oidc's names for the fake's endpoints.
const EP = { 'pins.create': 'pin_create', 'pins.get': 'pin_check', user: 'user', resources: 'resources' };
const C = (n) => `plexoidc_${n}`;

// The counters one scenario may move, as numbers.
function snapshot(m) {
  const s = {
    started: m.get(C('logins_started_total')),
    succeeded: m.get(C('logins_succeeded_total')),
    denied: m.get(C('logins_denied_total')),
    tokens: m.get(C('tokens_issued_total')),
    pending: m.get(C('pending_logins')),
  };
  for (const ep of Object.values(EP)) {
    s[`req.${ep}`] = m.get(C('plex_requests_total'), { endpoint: ep });
    s[`err.${ep}`] = m.get(C('plex_errors_total'), { endpoint: ep });
    s[`lat.${ep}`] = m.get(C('plex_request_duration_seconds_count'), { endpoint: ep });
  }
  return s;
}

function delta(a, b) {
  const d = {};
  for (const k of Object.keys(a)) d[k] = b[k] - a[k];
  return d;
}

// What the fake saw since its last reset, per plex-oidc endpoint name.
async function fakeCalls(fake) {
  const log = await fake.log();
  const calls = {};
  const faults = {};
  for (const ep of Object.values(EP)) calls[ep] = faults[ep] = 0;
  for (const e of log) {
    const ep = EP[e.endpoint];
    if (!ep) continue;
    calls[ep]++;
    if (e.fault || (e.status !== null && (e.status < 200 || e.status >= 300))) faults[ep]++;
  }
  return { calls, faults };
}

// ---------------------------------------------------------------- /healthz and /metrics

describe('health and metrics', { concurrency: 1 }, () => {
  let stack;
  let p;
  before(async () => {
    stack = await startStack();
    p = stack.provider;
  });
  after(async () => {
    await stack?.stop();
  });

  test('/healthz: 200, text/plain, not cached', async () => {
    const r = await request(p.url('/healthz'));
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain\b/);
    assert.equal(r.text.trim(), 'ok');
    assert.match(r.headers.get('cache-control') ?? '', /no-store/);
  });

  test('/metrics is valid Prometheus text with every documented family', async () => {
    const m = await metrics(p);
    const want = {
      logins_started_total: 'counter', logins_succeeded_total: 'counter', logins_denied_total: 'counter',
      tokens_issued_total: 'counter', rate_limited_total: 'counter', app_denied_total: 'counter', pending_logins: 'gauge',
      forward_auth_total: 'counter',
      plex_requests_total: 'counter', plex_errors_total: 'counter', plex_request_duration_seconds: 'histogram',
    };
    for (const [name, type] of Object.entries(want)) assert.equal(m.types.get(C(name)), type, C(name));
    for (const ep of Object.values(EP)) {
      m.get(C('plex_requests_total'), { endpoint: ep });
      m.get(C('plex_request_duration_seconds_bucket'), { endpoint: ep, le: '+Inf' });
    }
  });

  test('an allowed login moves started, succeeded, pending and the plex.tv call counters', async () => {
    await stack.fake.reset();
    const m0 = snapshot(await metrics(p));
    const jar = new CookieJar();
    const a = await authorize(p, authRequest(p).params, { jar });
    assert.equal(a.res.status, 200);
    const mid = snapshot(await metrics(p));
    assert.equal(mid.started - m0.started, 1, 'logins_started after /authorize');
    assert.equal(mid.pending - m0.pending, 1, 'pending_logins counts the login waiting in memory');
    assert.equal(mid.succeeded - m0.succeeded, 0, 'not succeeded yet');

    const ctx = await loginForCode(p, { user: 'alice' });
    const m1 = snapshot(await metrics(p));
    const d = delta(mid, m1);
    assert.equal(d.started, 1);
    assert.equal(d.succeeded, 1);
    assert.equal(d.denied, 0);
    assert.equal(d.tokens, 0, 'no token exchange yet');
    const seen = await fakeCalls(stack.fake);
    for (const ep of Object.values(EP)) {
      // Everything since m0: the first /authorize made no plex.tv call.
      assert.equal(m1[`req.${ep}`] - m0[`req.${ep}`], seen.calls[ep], `plex_requests_total{endpoint="${ep}"}`);
      assert.equal(m1[`err.${ep}`] - m0[`err.${ep}`], 0, `plex_errors_total{endpoint="${ep}"}`);
      assert.equal(m1[`lat.${ep}`] - m0[`lat.${ep}`], seen.calls[ep], `latency histogram count, ${ep}`);
    }
    assert.equal(seen.calls.pin_create, 1);
    assert.ok(seen.calls.pin_check >= 1);
    assert.equal(seen.calls.user, 1);
    assert.equal(seen.calls.resources, 1);

    // The token exchange.
    const t = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier });
    assert.equal(t.status, 200, t.text);
    const m2 = snapshot(await metrics(p));
    assert.equal(m2.tokens - m1.tokens, 1, 'tokens_issued after a code exchange');
    // A failed exchange (the code again) is not counted.
    const again = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier });
    assert.equal(again.status, 400);
    const m3 = snapshot(await metrics(p));
    assert.equal(m3.tokens, m2.tokens, 'a refused exchange is not an issued token');
  });

  test('a denied login moves logins_denied, not succeeded', async () => {
    await stack.fake.reset();
    const m0 = snapshot(await metrics(p));
    const ctx = await loginHttp(p, { user: 'nora' });
    assert.equal(ctx.outcome.state, 'denied');
    const m1 = snapshot(await metrics(p));
    const d = delta(m0, m1);
    assert.equal(d.started, 1);
    assert.equal(d.denied, 1);
    assert.equal(d.succeeded, 0);
    assert.equal(d.tokens, 0);
    const seen = await fakeCalls(stack.fake);
    for (const ep of Object.values(EP)) {
      assert.equal(d[`req.${ep}`], seen.calls[ep], `plex_requests_total{endpoint="${ep}"}`);
      assert.equal(d[`err.${ep}`], 0, `a denial is not a plex.tv error (${ep})`);
    }
    assert.equal(seen.calls.resources, 1);
  });

  test('a plex.tv fault moves plex_errors_total for that endpoint only', async () => {
    await stack.fake.reset();
    const m0 = snapshot(await metrics(p));
    await stack.fake.fault('user', 'status:500');
    const ctx = await loginHttp(p, { user: 'alice' });
    assert.equal(ctx.outcome.state, 'unavailable');
    await stack.fake.reset();
    const m1 = snapshot(await metrics(p));
    const d = delta(m0, m1);
    assert.ok(d['err.user'] >= 1, `plex_errors_total{endpoint="user"} moved by ${d['err.user']}`);
    assert.equal(d['err.user'], d['req.user'], 'every user call failed');
    for (const ep of ['pin_create', 'pin_check', 'resources']) assert.equal(d[`err.${ep}`], 0, ep);
    assert.equal(d['req.resources'], 0, 'no access check without a user');
    assert.equal(d['lat.user'], d['req.user'], 'failed calls are timed too');
    assert.equal(d.succeeded, 0);
    assert.equal(d.denied, 0, 'Plex failing is not a denial');
  });

  test('histogram: a slow plex.tv call lands above the 0.25 s bucket', async () => {
    await stack.fake.reset();
    const bucket = (m, le) => m.get(C('plex_request_duration_seconds_bucket'), { endpoint: 'resources', le });
    const before1 = await metrics(p);
    await stack.fake.fault('resources', 'delay:600', 1);
    const ctx = await loginHttp(p, { user: 'alice' });
    assert.equal(ctx.outcome.state, 'done');
    const after1 = await metrics(p);
    assert.equal(bucket(after1, '0.25') - bucket(before1, '0.25'), 0, 'not under 0.25 s');
    assert.equal(bucket(after1, '+Inf') - bucket(before1, '+Inf'), 1);
    const sum = (m) => m.get(C('plex_request_duration_seconds_sum'), { endpoint: 'resources' });
    assert.ok(sum(after1) - sum(before1) >= 0.6, `sum moved by ${sum(after1) - sum(before1)} s`);
  });
});

// ---------------------------------------------------------------- the request log

// "2026-11-29T16:21:41.662Z INFO  GET / 200 0.431ms id=5744e1be0688eb1b client=127.0.0.1"
// (docs/OPERATIONS.md still shows the address as peer=).
const REQ_LINE = /^\S+\s+INFO\s+([A-Z]+) (\S+) (\d{3}) (\d+\.\d+)ms id=([0-9a-f]{16}) (?:client|peer)=(\S+)(?: \(aborted\))?$/;

describe('request log', { concurrency: 1 }, () => {
  let stack;
  let p;
  before(async () => {
    stack = await startStack();
    p = stack.provider;
  });
  after(async () => {
    await stack?.stop();
  });

  // Lines of the log that mention s.
  const linesWith = (s) => p.logText().split('\n').filter((l) => l.includes(s));

  test('one line per request: method, path, status, latency, a 16-hex id, the peer', async () => {
    const marker = crypto.randomBytes(6).toString('hex');
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const path = `/no-such-page-${marker}-${i}`;
      const r = await request(p.url(path));
      sent.push({ method: 'GET', path, status: 404, id: r.headers.get('x-request-id') });
    }
    const postPath = `/post-${marker}`;
    const r = await request(p.url(postPath), { method: 'POST', body: form({ a: 'b' }) });
    sent.push({ method: 'POST', path: postPath, status: 404, id: r.headers.get('x-request-id') });
    await sleep(200); // the line is written when the response is done
    const ids = new Set();
    for (const s of sent) {
      const lines = linesWith(s.path);
      assert.equal(lines.length, 1, `exactly one line for ${s.path}:\n${lines.join('\n')}`);
      const m = REQ_LINE.exec(lines[0]);
      assert.ok(m, `request line format: ${lines[0]}`);
      assert.equal(m[1], s.method);
      assert.equal(m[2], s.path);
      assert.equal(Number(m[3]), s.status);
      assert.ok(Number(m[4]) >= 0 && Number(m[4]) < 60000, `latency ${m[4]} ms`);
      assert.equal(m[6], '127.0.0.1');
      assert.equal(s.id, m[5], 'the X-Request-Id header is the id in the log');
      ids.add(m[5]);
    }
    assert.equal(ids.size, sent.length, 'every request has its own id');
  });

  test('the query string is never logged (secret-looking parameters stay out)', async () => {
    const secrets = Array.from({ length: 4 }, () => `s3cr3t${crypto.randomBytes(16).toString('hex')}`);
    recordSecret(secrets);
    const marker = crypto.randomBytes(6).toString('hex');
    const q = (o) => new URLSearchParams(o).toString();
    await request(p.url(`/healthz?access_token=${secrets[0]}&m=${marker}`));
    await request(p.url(`/no-such-${marker}?client_secret=${secrets[1]}`));
    const params = authRequest(p).params;
    await request(p.url(`/authorize?${q({ ...params, code_verifier: secrets[2] })}`), { jar: new CookieJar() });
    await request(p.url(`/token?${q({ client_secret: secrets[3], code: secrets[3] })}`), {
      method: 'POST', body: form({ grant_type: 'authorization_code' }),
    });
    await sleep(200);
    const log = p.logText();
    for (const s of secrets) assert.ok(!log.includes(s), `${s.slice(0, 10)}… is in the log`);
    assert.ok(!log.includes(`m=${marker}`), 'no query in the log');
    assert.equal(linesWith(`/no-such-${marker}`).length, 1);
    assert.match(linesWith(`/no-such-${marker}`)[0], new RegExp(` /no-such-${marker} 404 `));
    // A request's line is written when its answer has gone out, on the
    // HTTP thread that served it: the next request, on the other thread,
    // may log first. The last four lines are these four, in some order.
    const tail = p.logText().split('\n').filter((l) => REQ_LINE.test(l)).slice(-4);
    const seen = tail.map((l) => REQ_LINE.exec(l).slice(1, 3).join(' ')).sort();
    assert.deepEqual(seen, ['GET /authorize', 'GET /healthz', `GET /no-such-${marker}`, 'POST /token'].sort());
    for (const l of tail) assert.ok(!l.includes('?'), `a query in: ${l}`);
  });

  test('a login: each request logged once, a suspended /login/start included', async () => {
    const before1 = p.logText().split('\n').length;
    await stack.fake.reset();
    await stack.fake.fault('pins.create', 'delay:400', 1); // /login/start waits on plex.tv
    const ctx = await loginForCode(p, { user: 'alice' });
    await sleep(200);
    const lines = p.logText().split('\n').slice(before1 - 1).map((l) => REQ_LINE.exec(l)).filter(Boolean);
    const count = (path) => lines.filter((m) => m[2] === path).length;
    assert.equal(count('/authorize'), 1);
    assert.equal(count('/login/start'), 1, 'a request that waited on plex.tv is logged once');
    assert.equal(count('/login/status'), ctx.outcome.polls);
    const start = lines.find((m) => m[2] === '/login/start');
    assert.equal(start[3], '302');
    assert.ok(Number(start[4]) >= 350, `/login/start took ${start[4]} ms, with plex.tv's 400 ms`);
    const ids = lines.map((m) => m[5]);
    assert.equal(new Set(ids).size, ids.length, 'unique request ids');
  });
});

// ---------------------------------------------------------------- SIGTERM

function connectRefused(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e) => resolve(e.code === 'ECONNREFUSED' ? true : e.code));
  });
}

describe('SIGTERM', () => {
  let stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  test('a request in flight is answered, the process exits 0 within a few seconds, the port closes', async () => {
    const { fake, provider: p } = stack;
    await fake.fault('pins.create', 'delay:2000', 1);
    const jar = new CookieJar();
    const a = await authorize(p, authRequest(p).params, { jar });
    assert.equal(a.res.status, 200);
    const t0 = Date.now();
    const inflight = loginStart(p, a.loginId, jar, { timeoutMs: 15000 }).then(
      (r) => ({ ok: true, status: r.res.status, ms: Date.now() - t0 }),
      (e) => ({ ok: false, error: `${e.name}: ${e.message} ${e.cause?.code ?? ''}` }),
    );
    await sleep(300);
    const child = p.child;
    assert.ok(child && child.exitCode === null, 'the provider is running');
    const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })));
    child.kill('SIGTERM');
    const r = await inflight;
    assert.ok(r.ok, `the request in flight got no complete answer: ${r.error}`);
    assert.ok(r.status >= 200 && r.status < 600, `HTTP ${r.status}`);
    const timeout = sleep(8000).then(() => null);
    const e = await Promise.race([exit, timeout]);
    assert.ok(e, `still running 8 s after SIGTERM:\n${p.logText().split('\n').slice(-10).join('\n')}`);
    assert.deepEqual({ code: e.code, signal: e.signal }, { code: 0, signal: null });
    assert.ok(e.ms < 7500, `exited ${e.ms} ms after the request started`);
    p.exits.push({ code: e.code, signal: e.signal });
    p.child = null; // stopped here; stack.stop() has nothing left to stop
    assert.match(p.logText(), /received SIGTERM/);
    assert.doesNotMatch(p.logText(), /AddressSanitizer|LeakSanitizer|runtime error:/);
    assert.equal(await connectRefused(p.port), true, 'the port is closed after SIGTERM');
  });
});

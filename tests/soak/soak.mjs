// soak.mjs - thousands of full sign-ins against one provider, then SIGTERM.
//
//   PLEX_OIDC_BIN=build/san/plex-oidc node tests/soak/soak.mjs [--logins N] [--parallel P]
//   (or scripts/soak BINARY [LOGINS])
//
// Each sign-in is the whole thing, over HTTP, as its own browser (cookie jar
// and client address): authorize -> /login/start -> approve at the fake
// plex.tv -> poll /login/status -> /login/finish -> token -> userinfo. The
// users mix allowed (owner, Home member, friend, managed user) and denied
// (no access, pending invitation) accounts, checked for the exact outcome.
// Every 100th sign-in (--fault-every) runs alone with a plex.tv fault injected (a 5xx, a
// 429, garbage, XML, a truncated or a huge answer, at one of the four
// calls), expecting "Plex is not answering" (or, for a single failed PIN
// poll, a normal sign-in).
//
// At the end the provider gets SIGTERM. The run fails (exit status 1) if any
// sign-in misbehaved, the provider's exit status is not 0, or its log holds
// a sanitizer report (AddressSanitizer, LeakSanitizer, UBSan "runtime
// error:"). It prints sign-ins per second and the provider's VmRSS before,
// at peak and after. Build with `make SAN=1` and run against
// build/san/plex-oidc to find leaks (LeakSanitizer runs at exit).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import {
  authorize, authRequest, BIN, CookieJar, decodeJwt, FakePlex, loginStart, parseRedirect, Provider, request, sleep,
  tokenRequest, USERS,
} from '../e2e/lib/harness.mjs';

const { values: args, positionals } = parseArgs({
  options: {
    logins: { type: 'string' },
    parallel: { type: 'string', default: '8' },
    'fault-every': { type: 'string', default: '100' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: true,
});
if (args.help) {
  process.stdout.write('usage: node tests/soak/soak.mjs [--logins N] [--parallel P] [--fault-every K]' +
    '   (binary: PLEX_OIDC_BIN)\n');
  process.exit(0);
}
const LOGINS = Number(args.logins ?? positionals[0] ?? 2000);
const PARALLEL = Number(args.parallel);
const FAULT_EVERY = Number(args['fault-every']);
if (![LOGINS, PARALLEL, FAULT_EVERY].every((n) => Number.isInteger(n) && n >= 1)) {
  process.stderr.write('soak: --logins, --parallel and --fault-every take positive integers\n');
  process.exit(2);
}

const ALLOWED = ['alice', 'hank', 'fred', 'mia'];
const DENIED = ['nora', 'pete'];
const USER_CYCLE = ['alice', 'nora', 'hank', 'fred', 'pete', 'mia'];
// Faults at each plex.tv call; `times` is how many calls fail.
const FAULTS = [
  { endpoint: 'pins.create', mode: 'status:500', times: 1, expect: 'unavailable' },
  { endpoint: 'pins.get', mode: 'status:503', times: 1, expect: 'done' },
  { endpoint: 'user', mode: 'garbage', times: 1, expect: 'unavailable' },
  { endpoint: 'resources', mode: 'huge', times: 1, expect: 'unavailable' },
  { endpoint: 'pins.get', mode: 'garbage', times: 3, expect: 'unavailable' },
  { endpoint: 'user', mode: 'truncated', times: 1, expect: 'unavailable' },
  { endpoint: 'resources', mode: 'xml', times: 1, expect: 'unavailable' },
  // A 429 is "slow down", not "down": the chain asks again after the
  // back-off (LIM_PLEX_RATE_LIMITED_RETRIES times) and the sign-in completes.
  { endpoint: 'resources', mode: 'status:429', times: 1, expect: 'done' },
];
const SANITIZER_MARKERS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'];

// ---------------------------------------------------------------- helpers

let ipCounter = 0;
function newJar() {
  const j = new CookieJar();
  ipCounter++;
  // A client address of its own (rate limits are per client); header only.
  j.ip = `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
  return j;
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

function vmRssKiB(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  } catch {
    return NaN;
  }
}

const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

// Polls /login/status the way the page does (here every 100 ms) until the
// state is neither idle nor waiting.
async function outcome(p, loginId, jar, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await request(p.url(`/login/status?l=${encodeURIComponent(loginId)}`), {
      jar, headers: { accept: 'application/json' },
    });
    check(r.status === 200, `/login/status answered ${r.status}`);
    const body = r.json();
    if (body.state !== 'idle' && body.state !== 'waiting') return body;
    check(Date.now() < deadline, `still ${body.state} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

// One full sign-in. expect: 'done' | 'denied' | 'unavailable'. Throws with
// a description when anything is not exactly as expected.
async function signIn(p, fake, item) {
  const ctx = { step: 'start' };
  try {
    await signInSteps(p, fake, item, ctx);
  } catch (e) {
    // fetch's own message is "fetch failed": the cause says what happened.
    const cause = e.cause ? ` (${e.cause.code ?? ''} ${e.cause.message ?? e.cause})` : '';
    throw new Error(`${ctx.step}: ${e.message}${cause} at ${new Date().toISOString()}`);
  }
}

async function signInSteps(p, fake, { user, expect, fault }, ctx) {
  const jar = newJar();
  const req = authRequest(p);
  ctx.step = 'GET /authorize';
  const a = await authorize(p, req.params, { jar });
  check(a.res.status === 200 && a.loginId, `/authorize answered ${a.res.status}`);
  ctx.step = 'GET /login/start';
  const st = await loginStart(p, a.loginId, jar);
  if (fault?.endpoint === 'pins.create') {
    check(st.res.status === 503 && !st.link, `/login/start with a failing plex.tv answered ${st.res.status}`);
    check(st.res.text.includes('Plex is not answering'), '/login/start: not the "Plex is not answering" page');
  } else {
    check(st.res.status === 302 && st.link?.code, `/login/start answered ${st.res.status}`);
    ctx.step = 'approve at the fake plex.tv';
    await fake.approve(st.link.code, user);
  }
  ctx.step = 'GET /login/status';
  const o = await outcome(p, a.loginId, jar);
  check(o.state === expect, `ended "${o.state}", expected "${expect}"`);
  check(typeof o.next === 'string' && o.next.startsWith('/login/'), `next: ${o.next}`);
  ctx.step = `GET ${o.next.split('?')[0]}`;
  const fin = await request(new URL(o.next, p.base), { jar });
  if (expect === 'denied') {
    check(fin.status === 403 && fin.location === null, `denied page answered ${fin.status}`);
    check(fin.text.includes('No access'), 'the denied page does not say "No access"');
    return;
  }
  if (expect === 'unavailable') {
    check(fin.status === 503 && fin.location === null, `unavailable page answered ${fin.status}`);
    check(fin.text.includes('Plex is not answering'), 'not the "Plex is not answering" page');
    check(!/No access/i.test(fin.text), 'an outage shown as a denial');
    return;
  }
  check(fin.status === 302 && fin.location, `/login/finish answered ${fin.status}`);
  const r = parseRedirect(fin.location);
  check(r.base === req.params.redirect_uri, `redirected to ${r.base}`);
  check(r.params.state === req.params.state, 'state not echoed');
  check(r.params.iss === p.base, `iss ${r.params.iss}`);
  check(typeof r.params.code === 'string' && r.params.code.length >= 43, 'no code');
  ctx.step = 'POST /token';
  const t = await tokenRequest(p, { code: r.params.code, verifier: req.verifier });
  check(t.status === 200, `token endpoint answered ${t.status}: ${t.text.slice(0, 200)}`);
  const body = t.json();
  const { header, payload } = decodeJwt(body.id_token);
  check(header.alg === 'RS256', `alg ${header.alg}`);
  check(payload.sub === USERS[user].uuid, `sub ${payload.sub} for ${user}`);
  check(payload.aud === 'app' || (Array.isArray(payload.aud) && payload.aud.includes('app')), 'aud');
  check(payload.nonce === req.params.nonce, 'nonce');
  check(payload.iss === p.base, 'iss in the ID token');
  ctx.step = 'GET /userinfo';
  const u = await request(p.url('/userinfo'), { headers: { authorization: `Bearer ${body.access_token}` } });
  check(u.status === 200, `userinfo answered ${u.status}`);
  check(u.json().sub === USERS[user].uuid, 'userinfo sub');
}

// ---------------------------------------------------------------- the run

// The plan: sign-in i is a fault run every FAULT_EVERY, else the next user.
const plan = [];
for (let i = 0, f = 0, u = 0; i < LOGINS; i++) {
  if (i % FAULT_EVERY === FAULT_EVERY - 1) {
    const fault = FAULTS[f++ % FAULTS.length];
    plan.push({ user: 'alice', expect: fault.expect, fault });
  } else {
    const user = USER_CYCLE[u++ % USER_CYCLE.length];
    plan.push({ user, expect: ALLOWED.includes(user) ? 'done' : DENIED.includes(user) ? 'denied' : '?' });
  }
}

async function main() {
  process.stdout.write(`soak: ${BIN}, ${LOGINS} sign-ins, ${PARALLEL} in parallel, a plex.tv fault every ${FAULT_EVERY}\n`);
  const fake = await FakePlex.start();
  let p;
  try {
    p = await Provider.start({ fake, logLevel: 'info' });
  } catch (e) {
    await fake.stop();
    throw e;
  }
  const pid = p.child.pid;
  const rssBefore = vmRssKiB(pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, vmRssKiB(pid) || 0);
  }, 500);

  const failures = [];
  const counts = { done: 0, denied: 0, unavailable: 0 };
  let finished = 0;
  const t0 = Date.now();
  let lastReport = t0;
  const run = async (i) => {
    const item = plan[i];
    try {
      await signIn(p, fake, item);
      counts[item.expect]++;
    } catch (e) {
      failures.push({ i, user: item.user, fault: item.fault ? `${item.fault.endpoint} ${item.fault.mode}` : null,
        error: e.message });
    }
    finished++;
    if (Date.now() - lastReport > 10000) {
      lastReport = Date.now();
      const secs = (lastReport - t0) / 1000;
      process.stdout.write(`soak: ${finished}/${LOGINS} in ${secs.toFixed(0)} s, ${failures.length} failed, ` +
        `VmRSS ${mib(vmRssKiB(pid))}\n`);
    }
  };

  // Normal sign-ins run PARALLEL at a time; a fault run waits for them to
  // drain and runs alone (faults are global to the fake).
  for (let i = 0; i < plan.length;) {
    if (plan[i].fault) {
      const { endpoint, mode, times } = plan[i].fault;
      await fake.reset();
      await fake.fault(endpoint, mode, times);
      await run(i);
      await fake.reset();
      i++;
      continue;
    }
    let end = i;
    while (end < plan.length && !plan[end].fault) end++;
    let next = i;
    await Promise.all(Array.from({ length: Math.min(PARALLEL, end - i) }, async () => {
      while (next < end) await run(next++);
    }));
    i = end;
  }
  const secs = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const rssAfter = vmRssKiB(pid);
  rssPeak = Math.max(rssPeak, rssAfter);
  const metrics = (await request(p.url('/metrics'))).text;
  const metric = (name) => (new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics) ?? [])[1];

  let stopError = null;
  try {
    await p.stop(); // SIGTERM; throws on a bad exit status or sanitizer text (harness Provider.stop)
  } catch (e) {
    stopError = e;
  }
  await fake.stop();
  const exit = p.exits[p.exits.length - 1];
  const log = p.logText();
  const reports = SANITIZER_MARKERS.filter((m) => log.includes(m));

  const out = [
    `soak: ${LOGINS} sign-ins in ${secs.toFixed(1)} s = ${(LOGINS / secs).toFixed(2)} sign-ins/s ` +
      `(${counts.done} with a code, ${counts.denied} denied, ${counts.unavailable} "Plex is not answering")`,
    `soak: provider VmRSS before ${mib(rssBefore)}, peak ${mib(rssPeak)}, after ${mib(rssAfter)}`,
    `soak: metrics: logins started ${metric('plexoidc_logins_started_total')}, succeeded ` +
      `${metric('plexoidc_logins_succeeded_total')}, denied ${metric('plexoidc_logins_denied_total')}, tokens ` +
      `${metric('plexoidc_tokens_issued_total')}, pending ${metric('plexoidc_pending_logins')}, rate-limited ` +
      `${metric('plexoidc_rate_limited_total')}`,
    `soak: exit after SIGTERM: ${JSON.stringify(exit)}; sanitizer reports in the log: ${reports.length ? reports.join(', ') : 'none'}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  let bad = false;
  if (failures.length) {
    bad = true;
    process.stdout.write(`soak: FAILED: ${failures.length} sign-in(s) misbehaved; the first ones:\n`);
    for (const f of failures.slice(0, 15)) {
      process.stdout.write(`  #${f.i} ${f.user}${f.fault ? ` [${f.fault}]` : ''}: ${f.error}\n`);
    }
  }
  if (!exit || exit.code !== 0 || exit.signal !== null) {
    bad = true;
    process.stdout.write(`soak: FAILED: the provider's exit after SIGTERM was ${JSON.stringify(exit)}\n`);
  }
  if (reports.length || stopError) {
    bad = true;
    if (stopError) process.stdout.write(`soak: FAILED: ${stopError.message.split('\n')[0]}\n`);
    // The sanitizer report itself, from its first line.
    const at = Math.min(...SANITIZER_MARKERS.map((m) => log.indexOf(m)).filter((x) => x >= 0));
    if (Number.isFinite(at)) {
      let start = log.lastIndexOf('\n', at) + 1;
      const prev = log.lastIndexOf('\n', start - 2) + 1;
      if (start > 0 && log.startsWith('=====', prev)) start = prev; // ASan's ==== rule above its report
      process.stdout.write(`${log.slice(start, start + 20000)}\n`);
    }
  }
  if (bad) {
    const keep = path.join(fs.realpathSync('/tmp'), `plex-oidc-soak-${Date.now()}.log`);
    fs.copyFileSync(p.logPath, keep);
    process.stdout.write(`soak: the provider log is in ${keep}\n`);
    return 1;
  }
  process.stdout.write('soak: OK\n');
  return 0;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`soak: ${e.stack || e}\n`);
  process.exit(1);
});

// replicas.test.mjs - two plex-oidc replicas behind Debian's nginx (round
// robin, etc/nginx-replicas.conf as docs/OPERATIONS.md shows it), sharing
// their state in Debian's redis-server ([store]) and their keys through
// one data_dir. Both run the very same configuration file (only the
// listen address comes from PLEX_OIDC_SERVER_LISTEN); the issuer is
// nginx's address.
//
// Checked: a Chromium sign-in through nginx whose requests alternate
// between the replicas (nginx's log names the replica of every request,
// and each replica's own log shows its share), then the token exchange
// and userinfo; plex.tv is polled once a second however the status
// requests are spread over the replicas; a code redeemed on A is refused on B (and what it issued
// is revoked); two redemptions of one code at the same moment, one on
// each replica, give exactly one success; killing A in the middle of a
// sign-in lets it finish on B; every key in Redis is under the issuer's
// prefix and has a time to live; /healthz and /metrics report the store;
// with Redis stopped, discovery and JWKS still answer while sign-ins and
// token requests get the documented "try again" answers, and once Redis
// is back everything works again without restarting plex-oidc.
//
// Redis, nginx and Chromium are Debian's (scripts/install-deps test);
// without them these tests fail, they never skip.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  authorize, authRequest, CookieJar, FakePlex, freePort, launchBrowser, loginForCode, loginStart, loginStatus, parseRedirect,
  Provider, randomSecret, readLimits, relyingParty, REPO, request, sleep, startRpServer, tempDir, testKeyPem, tokenRequest, USERS,
  waitOutcome,
} from './lib/harness.mjs';
import { NGINX_EXAMPLE, Nginx, nginxMissing } from './lib/nginx.mjs';
import { RedisServer, redisMissing } from './lib/redis.mjs';

const LIM = readLimits();
// A call while Redis is down must come back within the store's time-outs
// (this margin is for a loaded machine, not a hang).
const NO_HANG_MS = LIM.LIM_STORE_CONNECT_TIMEOUT_MS + LIM.LIM_STORE_COMMAND_TIMEOUT_MS + 3000;

let fake;
let redis;
let nginx;
let rp;
let browser;
let A;
let B;
let front; // the replicas as clients see them: through nginx

// A provider-shaped view of one address, for the harness's helpers.
function view(base, provider) {
  return {
    base,
    fake,
    url: (p) => `${base}${p}`,
    client: (id = 'app') => provider.client(id),
  };
}

// Request lines a replica logged since offset (its log's length then).
function logSince(p, offset) {
  return p.logText().slice(offset);
}

async function killHard(p) {
  const c = p.child;
  const done = new Promise((resolve) => c.once('exit', resolve));
  c.kill('SIGKILL');
  await done;
  p.child = null; // not a clean stop, on purpose: nothing to check
}

before(async () => {
  for (const why of [redisMissing(), nginxMissing()]) assert.equal(why, null, why);
  fake = await FakePlex.start();
  rp = await startRpServer();
  redis = await RedisServer.start();
  const [portA, portB, portN] = [await freePort(), await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${portN}`;
  // One data_dir for both: the signing key and the Plex client identifier
  // are shared that way (docs/OPERATIONS.md).
  const shared = await tempDir('plex-oidc-replicas-');
  const dataDir = path.join(shared, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.writeFileSync(path.join(dataDir, 'signing-key.pem'), testKeyPem(), { mode: 0o600 });
  const clients = { app: { secret: randomSecret(), redirect_uris: [`${rp.base}/cb`], name: 'Replicated App' } };
  const store = { url: redis.url, password_file: redis.passwordFile };
  A = await Provider.start({ fake, clients, dataDir, port: portA, issuer, store, logLevel: 'info',
    env: { PLEX_OIDC_SERVER_LISTEN: `127.0.0.1:${portA}` } });
  B = await Provider.start({ fake, clients, dataDir, port: portB, issuer, store, logLevel: 'info',
    configPath: A.configPath, env: { PLEX_OIDC_SERVER_LISTEN: `127.0.0.1:${portB}` } });
  nginx = await Nginx.start({ port: portN, upstreamPorts: [portA, portB] });
  front = view(nginx.base, A);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await nginx?.stop();
  try {
    await A?.stop();
  } finally {
    try {
      await B?.stop();
    } finally {
      await redis?.stop();
      await fake?.stop();
      await rp?.close();
    }
  }
});

describe('replicas sharing Redis behind nginx', { concurrency: 1 }, () => {
  test('the nginx example in docs/OPERATIONS.md is the file this test runs', () => {
    const example = fs.readFileSync(NGINX_EXAMPLE, 'utf8').trim();
    const ops = fs.readFileSync(path.join(REPO, 'docs/OPERATIONS.md'), 'utf8');
    assert.ok(ops.includes(`\`\`\`nginx\n${example}\n\`\`\``), 'docs/OPERATIONS.md shows etc/nginx-replicas.conf verbatim');
  });

  test('/healthz and /metrics report the store', async () => {
    for (const p of [A, B]) {
      const h = await request(`${p.direct}/healthz`);
      assert.equal(h.status, 200);
      assert.equal(h.text, 'ok\nstore: redis ok\n');
      assert.ok(!h.text.includes(String(redis.port)), 'no address on the public page');
    }
    // some traffic, then the counters
    await loginForCode(front);
    const m = (await request(`${A.direct}/metrics`)).text + (await request(`${B.direct}/metrics`)).text;
    assert.match(m, /^plexoidc_store_up 1$/m);
    assert.match(m, /^# TYPE plexoidc_store_request_duration_seconds histogram$/m);
    const sum = (re) => [...m.matchAll(re)].reduce((n, x) => n + Number(x[1]), 0);
    assert.ok(sum(/^plexoidc_store_requests_total\{op="update"\} (\d+)$/gm) > 0, 'updates counted');
    assert.ok(sum(/^plexoidc_store_requests_total\{op="put"\} (\d+)$/gm) > 0, 'puts counted');
    assert.equal(sum(/^plexoidc_store_request_duration_seconds_count\{op="put"\} (\d+)$/gm),
      sum(/^plexoidc_store_requests_total\{op="put"\} (\d+)$/gm));
    assert.equal(sum(/^plexoidc_store_errors_total\{op="\w+"\} (\d+)$/gm), 0);
    assert.ok(sum(/^plexoidc_store_connects_total (\d+)$/gm) >= 2);
    assert.doesNotMatch(m, /plexoidc_pending_logins/, 'no per-process count of a shared store');
  });

  test('a Chromium sign-in through nginx alternates between the replicas, then the token exchange', async () => {
    const offA = A.logText().length;
    const offB = B.logText().length;
    const seen = nginx.served().length;
    const { o, config } = await relyingParty(front);
    const verifier = o.randomPKCECodeVerifier();
    const state = o.randomState();
    const nonce = o.randomNonce();
    const url = o.buildAuthorizationUrl(config, {
      redirect_uri: `${rp.base}/cb`, scope: 'openid profile email', state, nonce,
      code_challenge: await o.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    assert.ok(url.href.startsWith(`${nginx.base}/authorize?`));
    const context = await browser.newContext();
    let callback;
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      await page.waitForSelector('#signin');
      assert.match(await page.textContent('body'), /Replicated App/);
      const popupPromise = page.waitForEvent('popup');
      await page.click('#signin');
      const popup = await popupPromise;
      await popup.waitForSelector('#as-alice');
      await popup.click('#as-alice');
      await page.waitForURL((u) => u.href.startsWith(`${rp.base}/cb?`), { timeout: 30000 });
      callback = page.url();
    } finally {
      await context.close();
    }
    const tokens = await o.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
    });
    const claims = tokens.claims();
    assert.equal(claims.sub, USERS.alice.uuid);
    assert.equal(claims.iss, nginx.base);
    const info = await o.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.email, USERS.alice.email);

    // nginx: round robin over both replicas. The browser sends some
    // requests in parallel (assets, the popup's and the page's), and the
    // log is in order of completion, so the turn-taking is seen in the
    // counts here, and request by request in the next test.
    const mine = await nginx.servedSince(seen, '/userinfo');
    const ups = mine.map((r) => r.upstream);
    const a = `127.0.0.1:${A.port}`;
    const b = `127.0.0.1:${B.port}`;
    const list = mine.map((r) => `${r.method} ${r.uri} ${r.upstream}`).join('\n');
    assert.ok(mine.length >= 8, `requests through nginx:\n${list}`);
    assert.ok(ups.every((u) => u === a || u === b), list);
    const na = ups.filter((u) => u === a).length;
    assert.ok(Math.abs(na - (ups.length - na)) <= 1, `A served ${na} of ${ups.length}:\n${list}`);
    for (const uri of ['/authorize', '/login/start', '/login/status', '/login/finish', '/token', '/userinfo']) {
      assert.ok(mine.some((r) => r.uri === uri && r.status < 400), `${uri} went through nginx:\n${list}`);
    }
    const steps = mine.filter((r) => r.uri === '/authorize' || r.uri.startsWith('/login/') || r.uri === '/token');
    assert.equal(new Set(steps.map((r) => r.upstream)).size, 2, `the sign-in's steps on both replicas:\n${list}`);
    // ...and each replica's own log shows its part of the sign-in
    const la = logSince(A, offA);
    const lb = logSince(B, offB);
    const logins = (t) => (t.match(/ GET \/login\/(start|status|finish|return|popup-done) /g) ?? []).length;
    assert.ok(logins(la) > 0 && logins(lb) > 0, `A served ${logins(la)}, B ${logins(lb)} login requests`);
  });

  test('one sign-in over HTTP, request after request, takes turns between the replicas', async () => {
    const seen = nginx.served().length;
    const ctx = await loginForCode(front);
    const t = await tokenRequest(front, { code: ctx.code, verifier: ctx.request.verifier });
    assert.equal(t.status, 200, t.text);
    const mine = await nginx.servedSince(seen, '/token');
    const list = mine.map((r) => `${r.method} ${r.uri} ${r.upstream}`).join('\n');
    assert.ok(mine.length >= 5, list);
    for (let i = 1; i < mine.length; i++) assert.notEqual(mine[i].upstream, mine[i - 1].upstream, list);
    // the state each step needs was written by the other replica
    assert.ok(A.logText().includes(`client=${ctx.jar.ip}`) && B.logText().includes(`client=${ctx.jar.ip}`));
  });

  test('one PIN poll at a time, whichever replica the status requests reach', async () => {
    const jar = new CookieJar();
    const req = authRequest(front);
    const a = await authorize(front, req.params, { jar });
    const s = await loginStart(front, a.loginId, jar);
    assert.equal(s.res.status, 302);
    const pinId = (await fake.pins()).find((p) => p.code === s.link.code).id;
    // Status requests ten times a second, taking turns between A and B.
    const t0 = Date.now();
    while (Date.now() - t0 < 4500) {
      const st = await loginStatus(front, a.loginId, jar);
      assert.equal(st.body.state, 'waiting');
      await sleep(100);
    }
    const polls = (await fake.log()).filter((e) => e.endpoint === 'pins.get' && e.path.endsWith(`/${pinId}`))
      .map((e) => e.t_ms);
    assert.ok(polls.length >= 3 && polls.length <= 6, `${polls.length} polls of plex.tv in 4.5 s`);
    for (let i = 1; i < polls.length; i++) {
      assert.ok(polls[i] - polls[i - 1] >= LIM.LIM_PLEX_POLL_INTERVAL_MS - 100,
        `polls ${polls[i] - polls[i - 1]} ms apart: ${polls.join(', ')}`);
    }
    await fake.approve(s.link.code, 'alice');
    assert.equal((await waitOutcome(front, a.loginId, jar)).state, 'done');
  });

  test('a code redeemed on A is refused on B, and what it issued is revoked', async () => {
    const ctx = await loginForCode(front);
    const onA = view(A.direct, A);
    const onB = view(B.direct, A);
    const first = await tokenRequest(onA, { code: ctx.code, verifier: ctx.request.verifier });
    assert.equal(first.status, 200, first.text);
    const at = first.json().access_token;
    const ok = await request(`${B.direct}/userinfo`, { headers: { authorization: `Bearer ${at}` } });
    assert.equal(ok.status, 200, 'B knows the access token A issued');
    const again = await tokenRequest(onB, { code: ctx.code, verifier: ctx.request.verifier });
    assert.equal(again.status, 400, again.text);
    assert.equal(again.json().error, 'invalid_grant');
    const revoked = await request(`${A.direct}/userinfo`, { headers: { authorization: `Bearer ${at}` } });
    assert.equal(revoked.status, 401, 'the replay on B revoked the token A issued');
  });

  // RFC 6749 §4.1.2: a code used twice is refused, and what it issued is
  // revoked. So of two presentations at once exactly one redeems the code
  // and the other is a replay; the replay also revokes what the first is
  // issuing (it answers invalid_grant too if it has not answered yet).
  // Never two grants.
  test('two redemptions of one code at the same moment, on A and on B: one redeems it, never two grants', async () => {
    const onA = view(A.direct, A);
    const onB = view(B.direct, A);
    const replays = () => (A.logText() + B.logText()).split('authorization code replayed').length - 1;
    for (let i = 0; i < 6; i++) {
      const ctx = await loginForCode(front);
      const before = replays();
      const res = await Promise.all([onA, onB].map((v) => tokenRequest(v, { code: ctx.code, verifier: ctx.request.verifier })));
      const wins = res.filter((r) => r.status === 200);
      assert.ok(wins.length <= 1, res.map((r) => `${r.status} ${r.text}`).join('\n'));
      for (const r of res.filter((x) => x.status !== 200)) assert.equal(r.json().error, 'invalid_grant', r.text);
      assert.equal(replays() - before, 1, 'exactly one of the two redeemed the code, the other was a replay');
      for (const w of wins) {
        const ui = await request(`${A.direct}/userinfo`, { headers: { authorization: `Bearer ${w.json().access_token}` } });
        assert.equal(ui.status, 401, 'the replay revoked the token of the one that won');
      }
    }
  });

  test('every key in Redis is under the issuer\'s prefix and has a time to live', () => {
    const prefix = `plex-oidc:${crypto.createHash('sha256').update(nginx.base).digest('hex').slice(0, 12)}:`;
    const keys = redis.keys();
    assert.ok(keys.length > 0);
    for (const { key, pttl } of keys) {
      assert.ok(key.startsWith(prefix), `${key} is under ${prefix}`);
      assert.ok(pttl > 0, `${key} has a time to live (PTTL ${pttl})`);
    }
    for (const ns of ['codes', 'tokens']) assert.ok(keys.some((k) => k.key.startsWith(`${prefix}${ns}:`)), ns);
    assert.match(A.logText(), new RegExp(`store: Redis at ${redis.url.replace(/[./]/g, '\\$&')}, keys under "${prefix}"`));
  });

  test('Redis stopped: discovery and JWKS answer, sign-ins and tokens say "try again"; back without a restart', async () => {
    // Before: a code not yet redeemed, an access token, a login page shown.
    const held = await loginForCode(front);
    const redeemed = await loginForCode(front);
    const at = (await tokenRequest(front, { code: redeemed.code, verifier: redeemed.request.verifier })).json().access_token;
    const jar = new CookieJar();
    const shown = await authorize(front, authRequest(front).params, { jar });
    assert.equal(shown.res.status, 200);
    const pids = [A.child.pid, B.child.pid];

    await redis.stop();
    const timed = async (what, fn) => {
      const t0 = Date.now();
      const r = await fn();
      assert.ok(Date.now() - t0 < NO_HANG_MS, `${what} took ${Date.now() - t0} ms`);
      return r;
    };
    for (let i = 0; i < 2; i++) { // both replicas, through round robin
      const d = await timed('discovery', () => request(front.url('/.well-known/openid-configuration')));
      assert.equal(d.status, 200);
      const j = await timed('jwks', () => request(front.url('/jwks')));
      assert.equal(j.status, 200);
      assert.equal(j.json().keys.length, 2, 'the current and the next signing key');
    }
    for (let i = 0; i < 2; i++) {
      const r = authRequest(front);
      const az = await timed('authorize', () => authorize(front, r.params, { jar: new CookieJar() }));
      assert.equal(az.res.status, 302, az.res.text.slice(0, 300));
      const e = parseRedirect(az.res.location);
      assert.equal(e.base, `${rp.base}/cb`);
      assert.equal(e.params.error, 'temporarily_unavailable');
      assert.equal(e.params.state, r.params.state);
      assert.equal(e.params.iss, nginx.base);

      const st = await timed('status', () => loginStatus(front, shown.loginId, jar));
      assert.equal(st.res.status, 200);
      assert.deepEqual(st.body, { state: 'unavailable' }); // the page keeps polling
      const start = await timed('start', () => request(front.url(`/login/start?l=${shown.loginId}`), { jar }));
      assert.equal(start.status, 503);
      assert.match(start.text, /try again/i);
      assert.ok(Number(start.headers.get('retry-after')) > 0);

      const tok = await timed('token', () => tokenRequest(front, { code: held.code, verifier: held.request.verifier }));
      assert.equal(tok.status, 503, tok.text);
      assert.equal(tok.json().error, 'temporarily_unavailable');
      const ui = await timed('userinfo', () => request(front.url('/userinfo'), { headers: { authorization: `Bearer ${at}` } }));
      assert.equal(ui.status, 503);
      assert.equal(ui.json().error, 'temporarily_unavailable');
    }
    for (const p of [A, B]) {
      const h = await timed('healthz', () => request(`${p.direct}/healthz`));
      assert.equal(h.status, 200, 'alive: discovery and JWKS still work');
      assert.equal(h.text, 'ok\nstore: redis unreachable (see the log)\n');
      const m = (await request(`${p.direct}/metrics`)).text;
      assert.match(m, /^plexoidc_store_up 0$/m);
      const errors = [...m.matchAll(/^plexoidc_store_errors_total\{op="\w+"\} (\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
      assert.ok(errors > 0, 'store errors counted');
      assert.match(p.logText(), new RegExp(`store: Redis at ${redis.url.replace(/[./]/g, '\\$&')} is not usable`));
    }

    await redis.launch(); // empty: a restart without persistence
    const deadline = Date.now() + LIM.LIM_STORE_RECONNECT_MAX_MS + 10000;
    for (const p of [A, B]) {
      for (;;) {
        const h = await request(`${p.direct}/healthz`);
        if (h.text === 'ok\nstore: redis ok\n') break;
        assert.ok(Date.now() < deadline, `${p.direct} still says ${JSON.stringify(h.text)}`);
        await sleep(200);
      }
      assert.match(p.logText(), /store: Redis at \S+ is reachable again/);
    }
    assert.deepEqual([A.child.pid, B.child.pid], pids, 'not restarted');
    // The sign-in shown before is gone with Redis's data: "sign in again".
    const gone = await request(front.url(`/login/start?l=${shown.loginId}`), { jar });
    assert.equal(gone.status, 400);
    assert.match(gone.text, /sign in again/i);
    const lost = await tokenRequest(front, { code: held.code, verifier: held.request.verifier });
    assert.equal(lost.status, 400);
    assert.equal(lost.json().error, 'invalid_grant');
    // And a new sign-in works from start to end.
    const ctx = await loginForCode(front);
    const t = await tokenRequest(front, { code: ctx.code, verifier: ctx.request.verifier });
    assert.equal(t.status, 200, t.text);
    const ui = await request(front.url('/userinfo'), { headers: { authorization: `Bearer ${t.json().access_token}` } });
    assert.equal(ui.status, 200);
    assert.equal(ui.json().sub, USERS.alice.uuid);
  });
  test('killing A in the middle of a sign-in: it finishes on B', async () => {
    const jar = new CookieJar();
    const req = authRequest(front);
    const a = await authorize(front, req.params, { jar });
    assert.equal(a.res.status, 200);
    const s = await loginStart(front, a.loginId, jar);
    assert.equal(s.res.status, 302, s.res.text);
    await loginStatus(front, a.loginId, jar);
    await loginStatus(front, a.loginId, jar);
    assert.ok(A.logText().includes(`client=${jar.ip}`), 'A served part of this sign-in before it died');
    await killHard(A);
    await fake.approve(s.link.code, 'hank');
    const out = await waitOutcome(front, a.loginId, jar, { timeoutMs: 30000 });
    assert.equal(out.state, 'done');
    const fin = await request(new URL(out.next, front.base), { jar });
    assert.equal(fin.status, 302);
    const code = parseRedirect(fin.location).params.code;
    const t = await tokenRequest(front, { code, verifier: req.verifier });
    assert.equal(t.status, 200, t.text);
    assert.equal(JSON.parse(Buffer.from(t.json().id_token.split('.')[1], 'base64url')).sub, USERS.hank.uuid);
    await A.launch(); // back, for the clean stop at the end
  });
});

// The keys are shared through one data_dir (docs/OPERATIONS.md, "Running
// replicas"): two replicas started at the same moment on an empty one must
// agree on the key ring (one creates it, the other loads it: an exclusive
// lock on data_dir, and link() so that a key ring never replaces another)
// and on the Plex client identifier, so each opens the other's sealed
// cookies and Plex sees one device.
describe('two fresh replicas started at the same moment', { concurrency: 1 }, () => {
  let C;
  let D;

  after(async () => {
    try {
      await C?.stop();
    } finally {
      await D?.stop();
    }
  });

  test('agree on the key ring and the Plex client identifier, and open each other\'s sessions', async () => {
    const [portC, portD, portN] = [await freePort(), await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${portN}`;
    const shared = await tempDir('plex-oidc-fresh-');
    const dataDir = path.join(shared, 'data'); // absent: the replicas create it
    const clients = { app: { secret: randomSecret(), redirect_uris: [`${rp.base}/cb`] } };
    const store = { url: redis.url, password_file: redis.passwordFile };
    // C writes the configuration; D is given its path but must not start
    // before the file exists, so C's is written first, then both launch.
    const c = new Provider({ fake, clients, dataDir, port: portC, issuer, store, logLevel: 'info', seedKey: false,
      env: { PLEX_OIDC_SERVER_LISTEN: `127.0.0.1:${portC}` } });
    await c.init();
    const d = new Provider({ fake, clients, dataDir, port: portD, issuer, store, logLevel: 'info', seedKey: false,
      configPath: c.configPath, env: { PLEX_OIDC_SERVER_LISTEN: `127.0.0.1:${portD}` } });
    await d.init();
    // Known to after() before they launch: if one fails to start, the
    // other is still stopped (rather than keeping the test run alive).
    C = c;
    D = d;
    const started = await Promise.allSettled([c.launch(), d.launch()]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const created = [C, D].filter((p) => /key ring: created|created the key ring|new key ring/i.test(p.logText()));
    assert.equal(created.length, 1, `exactly one replica created the key ring:\nC: ${C.logText()}\nD: ${D.logText()}`);

    const jwksC = (await request(`${C.direct}/jwks`)).text;
    const jwksD = (await request(`${D.direct}/jwks`)).text;
    assert.equal(jwksC, jwksD, 'the same JWKS, byte for byte');
    assert.ok(JSON.parse(jwksC).keys.length >= 1);

    // The Plex client identifier each one sends to plex.tv.
    const ids = [];
    for (const p of [C, D]) {
      const v = view(p.direct, p);
      const jar = new CookieJar();
      const a = await authorize(v, authRequest(v).params, { jar });
      assert.equal(a.res.status, 200, a.res.text);
      const s = await loginStart(v, a.loginId, jar);
      assert.equal(s.res.status, 302, s.res.text);
      ids.push(s.link.clientID);
    }
    assert.ok(ids[0]);
    assert.equal(ids[0], ids[1], 'one Plex device for both replicas');

    // A session sealed by C opens on D: sign in on C, then D answers the
    // next authorization request of that browser with a code, no page.
    const vc = view(C.direct, C);
    const vd = view(D.direct, D);
    const first = await loginForCode(vc, { user: 'hank' });
    const again = authRequest(vd);
    const u = new URL(vd.url('/authorize'));
    for (const [k, v] of Object.entries(again.params)) u.searchParams.set(k, v);
    const r = await request(u, { jar: first.jar });
    assert.equal(r.status, 302, `D did not accept C's session: ${r.status} ${r.text.slice(0, 200)}`);
    const code = parseRedirect(r.location).params.code;
    const t = await tokenRequest(vc, { code, verifier: again.verifier });
    assert.equal(t.status, 200, t.text);
    assert.equal(JSON.parse(Buffer.from(t.json().id_token.split('.')[1], 'base64url')).sub, USERS.hank.uuid);
  });
});

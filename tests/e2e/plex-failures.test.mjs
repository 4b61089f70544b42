// plex-failures.test.mjs - plex.tv misbehaving (docs/PLEX-API.md, "Answers,
// errors and what the user sees"): 5xx, timeouts, connection resets and garbage at
// any of the four calls mean "Plex is not answering, try again" (503), never
// "denied" and never a hang; an expired PIN means "timed out"; a rejected
// token is not a denial either. A 429 on PIN polls means "slow down": the
// sign-in waits and goes on (issue 9, item 13). Redirects to Plex's own
// hosts are followed, others are not (item 14). Token errors are "sign in
// again", other 422s an outage (item 15). Also: one X-Plex-Client-Identifier
// for every call, and at most about one PIN poll per second per login, for
// as many logins at once as the budget allows.
//
// fake-plex faults are global to one fake, so each group below has its own
// fake and provider, and the groups run at the same time (the hang cases
// wait for the provider's plex.tv timeout, several seconds each).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  authorize, authRequest, CookieJar, FakePlex, loginForCode, loginStart, Provider, readLimits, request, sleep, startStack,
  waitOutcome,
} from './lib/harness.mjs';

const LIM = readLimits();

const PLEX_TIMEOUT_MS = 8000; // src/po_limits.h LIM_PLEX_TOTAL_TIMEOUT_MS; "a few seconds"
const MARGIN_MS = 10000; // generous: CI machines are small and may be busy

// One sign-in with a fault injected at endpoint. Returns what the browser
// would have seen: start (the /login/start answer), outcome (the state the
// page's polling ended on), final (the page that outcome led to).
async function faultyLogin(stack, { endpoint, mode, times, user = 'alice', revoke, extra }) {
  const { fake, provider: p } = stack;
  await fake.reset();
  if (endpoint) await fake.fault(endpoint, mode, times, extra);
  if (revoke) await fake.revoke(revoke);
  const jar = new CookieJar();
  const t0 = Date.now();
  const a = await authorize(p, authRequest(p).params, { jar });
  assert.equal(a.res.status, 200);
  const slow = mode === 'hang' || mode?.startsWith('delay:');
  const s = await loginStart(p, a.loginId, jar, { timeoutMs: (slow ? PLEX_TIMEOUT_MS : 0) + MARGIN_MS });
  if (s.link && user) await fake.approve(s.link.code, user);
  const outcome = await waitOutcome(p, a.loginId, jar, { timeoutMs: 3 * PLEX_TIMEOUT_MS + MARGIN_MS });
  const final = outcome.next ? await request(new URL(outcome.next, p.base), { jar }) : null;
  return { start: s, outcome, final, elapsed: Date.now() - t0, loginId: a.loginId, jar };
}

function assertUnavailablePage(res, p) {
  assert.equal(res.status, 503, `HTTP ${res.status} ${res.location ?? ''}: ${res.text.slice(0, 300)}`);
  assert.equal(res.location, null);
  assert.match(res.text, /Plex is not answering/);
  assert.doesNotMatch(res.text, /No access/i);
  const again = [...res.text.matchAll(/<a\b[^>]*href="([^"]+)"[^>]*>([^<]*)</g)]
    .find((m) => m[2].includes('Try again'));
  assert.ok(again, 'a "Try again" link');
  assert.ok(again[1].replaceAll('&amp;', '&').startsWith(`${p.base}/authorize?`), `Try again -> ${again[1]}`);
}

function assertUnavailable(r, stack) {
  assert.equal(r.outcome.state, 'unavailable', `state ${r.outcome.state}`);
  assert.ok(r.final, 'unavailable has a next page');
  assertUnavailablePage(r.final, stack.provider);
}

// A group of cases sharing one fake and one provider.
function group(name, body) {
  // The cases of one group share a fake, so they run one after another.
  describe(name, { concurrency: 1 }, () => {
    const ctx = {};
    before(async () => {
      ctx.stack = await startStack();
    });
    after(async () => {
      await ctx.stack?.stop();
    });
    body(ctx);
  });
}

describe('plex.tv failures', { concurrency: true }, () => {
  group('creating the PIN (pins.create)', (ctx) => {
    for (const mode of ['status:500', 'status:429', 'garbage', 'hang']) {
      test(`${mode}: the sign-in window shows "Plex is not answering" (503)`, async () => {
        const r = await faultyLogin(ctx.stack, { endpoint: 'pins.create', mode });
        assert.equal(r.start.link, null, 'no Plex link without a PIN');
        assertUnavailablePage(r.start.res, ctx.stack.provider);
        assertUnavailable(r, ctx.stack);
        const creates = (await ctx.stack.fake.log()).filter((e) => e.endpoint === 'pins.create');
        assert.ok(creates.length >= 1 && creates.length <= 3, `${creates.length} PIN creations for one click`);
      });
    }
  });

  group('polling the PIN (pins.get), failing again and again', (ctx) => {
    for (const mode of ['status:500', 'status:503', 'garbage']) {
      test(`${mode} -> "Plex is not answering" (503)`, async () => {
        const r = await faultyLogin(ctx.stack, { endpoint: 'pins.get', mode });
        assertUnavailable(r, ctx.stack);
        const polls = (await ctx.stack.fake.log()).filter((e) => e.endpoint === 'pins.get');
        assert.ok(polls.length >= 1, 'the PIN was polled');
        assert.ok(polls.every((e) => e.fault === mode), 'every poll failed');
      });
    }

    test('429 on polls: the sign-in keeps waiting while polls back off, then completes (item 13)', async () => {
      // plex.tv's "slow down" (1003, no Retry-After) three times: the
      // client backs off 1 s, 2 s, 4 s; the login is never "unavailable".
      const { fake, provider: p } = ctx.stack;
      await fake.reset();
      await fake.fault('pins.get', 'status:429', 3);
      const jar = new CookieJar();
      const a = await authorize(p, authRequest(p).params, { jar });
      const s = await loginStart(p, a.loginId, jar);
      assert.ok(s.link, 'a Plex link');
      await fake.approve(s.link.code, 'alice');
      const outcome = await waitOutcome(p, a.loginId, jar, { timeoutMs: 30000 });
      assert.equal(outcome.state, 'done', JSON.stringify(outcome));
      const polls = (await fake.log()).filter((e) => e.endpoint === 'pins.get');
      assert.deepEqual(polls.map((e) => e.status), [429, 429, 429, 200]);
      const gaps = polls.slice(1).map((e, i) => e.t_ms - polls[i].t_ms);
      assert.ok(gaps[0] >= 950 && gaps[1] >= 1950 && gaps[2] >= 3950, `polls backed off: gaps ${gaps} ms`);
      const fin = await request(new URL(outcome.next, p.base), { jar });
      assert.equal(fin.status, 302);
      assert.match(fin.location, /[?&]code=/);
    });

    test('429 with Retry-After on polls: no poll before it, and the sign-in completes', async () => {
      const { fake, provider: p } = ctx.stack;
      await fake.reset();
      await fake.fault('pins.get', 'status:429', 1, { retry_after: 3 });
      const jar = new CookieJar();
      const a = await authorize(p, authRequest(p).params, { jar });
      const s = await loginStart(p, a.loginId, jar);
      await fake.approve(s.link.code, 'alice');
      const outcome = await waitOutcome(p, a.loginId, jar, { timeoutMs: 30000 });
      assert.equal(outcome.state, 'done');
      const calls = (await fake.log()).filter((e) => e.endpoint);
      const i429 = calls.findIndex((e) => e.status === 429);
      assert.ok(i429 >= 0);
      const next = calls[i429 + 1];
      assert.ok(next && next.t_ms - calls[i429].t_ms >= 2950, `next call ${next?.t_ms - calls[i429].t_ms} ms after the 429`);
    });

    test('one failed poll is retried, and the sign-in completes', async () => {
      const r = await faultyLogin(ctx.stack, { endpoint: 'pins.get', mode: 'status:500', times: 1 });
      assert.equal(r.outcome.state, 'done');
      assert.equal(r.final.status, 302);
      assert.match(r.final.location, /[?&]code=/);
    });
  });

  group('fetching the user (user)', (ctx) => {
    for (const mode of ['status:500', 'status:429', 'garbage', 'reset', 'hang']) {
      test(`${mode} -> "Plex is not answering" (503)`, async () => {
        const r = await faultyLogin(ctx.stack, { endpoint: 'user', mode });
        assertUnavailable(r, ctx.stack);
        assert.ok(r.elapsed < 3 * PLEX_TIMEOUT_MS, `answered in ${r.elapsed} ms`);
        const log = await ctx.stack.fake.log();
        assert.equal(log.filter((e) => e.endpoint === 'resources').length, 0, 'no access check without a user');
      });
    }

    test('a token plex.tv rejects (422, XML) is not a denial and not an outage', async () => {
      const r = await faultyLogin(ctx.stack, { revoke: 'alice' });
      assert.notEqual(r.outcome.state, 'denied');
      assert.notEqual(r.outcome.state, 'done');
      assert.equal(r.outcome.state, 'error');
      assert.equal(r.final.status, 400);
      assert.equal(r.final.location, null);
      assert.doesNotMatch(r.final.text, /No access/i);
    });
  });

  group('token errors (item 15)', (ctx) => {
    // "Sign in again" (400 "Sign-in did not complete"), never "denied".
    for (const [endpoint, mode] of [['user', 'invalid-token'], ['user', 'status:401'], ['resources', 'invalid-token'],
      ['resources', 'unauthorized-html']]) {
      test(`${endpoint} ${mode}: "sign in again", not "Plex is down", not "denied"`, async () => {
        const r = await faultyLogin(ctx.stack, { endpoint, mode });
        assert.equal(r.outcome.state, 'error', `state ${r.outcome.state}`);
        assert.equal(r.final.status, 400);
        assert.doesNotMatch(r.final.text, /No access|not answering/i);
      });
    }

    test('user 422 that is not about the token: "Plex is not answering" (503)', async () => {
      const r = await faultyLogin(ctx.stack, { endpoint: 'user', mode: 'unprocessable' });
      assertUnavailable(r, ctx.stack);
    });
  });

  group('checking access (resources)', (ctx) => {
    for (const mode of ['status:500', 'status:429', 'garbage', 'xml', 'truncated', 'huge', 'hang']) {
      test(`${mode} -> "Plex is not answering" (503), never "denied"`, async () => {
        const r = await faultyLogin(ctx.stack, { endpoint: 'resources', mode });
        assertUnavailable(r, ctx.stack);
      });
    }
  });

  group('the PIN itself', (ctx) => {
    test('an expired PIN -> "timed out" page (400)', async () => {
      const { fake, provider: p } = ctx.stack;
      await fake.reset();
      const jar = new CookieJar();
      const a = await authorize(p, authRequest(p).params, { jar });
      const s = await loginStart(p, a.loginId, jar);
      assert.ok(s.link, 'a Plex link');
      await fake.expire(s.link.code);
      const outcome = await waitOutcome(p, a.loginId, jar);
      assert.equal(outcome.state, 'expired');
      const page = await request(new URL(outcome.next, p.base), { jar });
      assert.equal(page.status, 400);
      assert.equal(page.location, null);
      assert.match(page.text, /timed out/i);
      assert.doesNotMatch(page.text, /No access|not answering/i);
    });

    test('one X-Plex-Client-Identifier, persisted, on every plex.tv call and in the sign-in link', async () => {
      const { fake, provider: p } = ctx.stack;
      await fake.reset();
      const r = await loginForCode(p, { user: 'alice' });
      const log = await fake.log();
      const api = log.filter((e) => e.endpoint);
      assert.deepEqual([...new Set(api.map((e) => e.endpoint))].sort(), ['pins.create', 'pins.get', 'resources', 'user']);
      const ids = new Set(api.map((e) => e.headers['x-plex-client-identifier']));
      assert.equal(ids.size, 1, `identifiers: ${[...ids]}`);
      const [id] = ids;
      assert.ok(id && id.length >= 8);
      assert.equal(r.link.clientID, id, 'the sign-in link names the same client');
      const stored = fs.readFileSync(path.join(p.dataDir, 'plex-client-id'), 'utf8').trim();
      assert.equal(stored, id);
      for (const e of api) {
        assert.match(e.headers.accept ?? '', /application\/json/, `${e.endpoint} Accept`);
        assert.ok(e.headers['x-plex-product'], `${e.endpoint} X-Plex-Product`);
        assert.equal(e.token_in_query, false, `${e.endpoint}: the token belongs in a header`);
      }
      for (const e of api.filter((x) => x.endpoint === 'user' || x.endpoint === 'resources')) {
        assert.equal(e.headers['x-plex-token'], true, `${e.endpoint} sends X-Plex-Token`);
      }
      assert.equal(r.link.product, api[0].headers['x-plex-product'], 'the link names the same product');
    });

    test('the PIN is polled at most about once a second, however fast the page polls', async () => {
      const { fake, provider: p } = ctx.stack;
      await fake.reset();
      const jar = new CookieJar();
      const a = await authorize(p, authRequest(p).params, { jar });
      const s = await loginStart(p, a.loginId, jar);
      assert.ok(s.link);
      const t0 = Date.now();
      const windowMs = 4500;
      let statusCalls = 0;
      while (Date.now() - t0 < windowMs) {
        // Ten times the page's own pace (under the provider's own limit
        // for /login/status).
        const r = await request(p.url(`/login/status?l=${a.loginId}`), { jar });
        statusCalls++;
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json().state, 'waiting');
        await sleep(100);
      }
      await sleep(300); // let an in-flight poll land in the log
      const pins = await fake.pins();
      const pin = pins.find((x) => x.code === s.link.code);
      const polls = (await fake.log()).filter((e) => e.endpoint === 'pins.get' && e.path === `/api/v2/pins/${pin.id}`);
      assert.ok(statusCalls >= 3 * polls.length, `${statusCalls} status requests for ${polls.length} PIN polls`);
      assert.ok(polls.length >= 3, `the PIN was polled ${polls.length} times in ${windowMs} ms`);
      assert.ok(polls.length <= Math.ceil(windowMs / 1000) + 1, `${polls.length} polls in ${windowMs} ms`);
      for (let i = 1; i < polls.length; i++) {
        const gap = polls[i].t_ms - polls[i - 1].t_ms;
        assert.ok(gap >= 900, `polls ${gap} ms apart`);
      }
      assert.ok(polls.every((e) => e.status === 200), `poll answers: ${polls.map((e) => e.status)}`);
    });
  });
});

// ---------------------------------------------------------------- redirects (item 14)

// api_url = http://localhost:PORT, so that http://clients.localhost:PORT is
// "a host under api_url's" (curl resolves *.localhost to loopback) and
// http://127.0.0.1:PORT is another host.
class LocalhostApiProvider extends Provider {
  writeConfig() {
    super.writeConfig();
    const text = fs.readFileSync(this.configPath, 'utf8');
    assert.match(text, /^api_url = http:\/\/127\.0\.0\.1:\d+$/m);
    fs.writeFileSync(this.configPath, text.replace(/^api_url = http:\/\/127\.0\.0\.1:(\d+)$/m, 'api_url = http://localhost:$1'),
      { mode: 0o600 });
  }
}

describe('redirects from plex.tv (item 14)', { concurrency: 1 }, () => {
  const ctx = {};
  before(async () => {
    const fake = await FakePlex.start();
    const provider = new LocalhostApiProvider({ fake });
    await provider.init();
    await provider.launch();
    ctx.stack = { fake, provider };
  });
  after(async () => {
    try {
      await ctx.stack?.provider.stop();
    } finally {
      await ctx.stack?.fake.stop();
    }
  });

  for (const [endpoint, mode] of [['pins.create', 'redirect:308'], ['pins.get', 'redirect:302'], ['user', 'redirect:301'],
    ['resources', 'redirect:307']]) {
    test(`${endpoint} ${mode} to a host under api_url's: followed, the sign-in completes`, async () => {
      const { fake } = ctx.stack;
      const port = fake.port;
      const r = await faultyLogin(ctx.stack, { endpoint, mode, times: 1, extra: { location: `http://clients.localhost:${port}` } });
      assert.equal(r.outcome.state, 'done', `state ${r.outcome.state}`);
      assert.equal(r.final.status, 302);
      const calls = (await fake.log()).filter((e) => e.endpoint === endpoint);
      assert.equal(calls[0].status, Number(mode.slice(9)));
      assert.equal(calls[1].host, `clients.localhost:${port}`);
      assert.ok(calls[1].status < 300, `the redirected call answered ${calls[1].status}`);
    });
  }

  test('a redirect to another host is not followed: "Plex is not answering", the token not sent there', async () => {
    const { fake } = ctx.stack;
    const r = await faultyLogin(ctx.stack, { endpoint: 'user', mode: 'redirect:302',
      extra: { location: `http://127.0.0.1:${fake.port}` } });
    assertUnavailable(r, ctx.stack);
    const calls = (await fake.log()).filter((e) => e.endpoint === 'user');
    assert.ok(calls.length >= 1 && calls.every((e) => e.host === `localhost:${fake.port}`),
      `calls went to ${calls.map((e) => e.host)}`);
  });

  test(`a redirect loop: at most LIM_PLEX_REDIRECTS_MAX (${LIM.LIM_PLEX_REDIRECTS_MAX}) hops, then "Plex is not answering"`, async () => {
    const r = await faultyLogin(ctx.stack, { endpoint: 'resources', mode: 'redirect:302' });
    assertUnavailable(r, ctx.stack);
    const calls = (await ctx.stack.fake.log()).filter((e) => e.endpoint === 'resources');
    assert.equal(calls.length, 1 + LIM.LIM_PLEX_REDIRECTS_MAX);
  });
});

// ---------------------------------------------------------------- one budget (item 13)

describe('one budget for plex.tv (item 13)', () => {
  // docs/OPERATIONS.md "plex.tv budget": up to about LIM_PLEX_BUDGET_PER_S
  // sign-ins at once keep the page's pace of one PIN poll a second each.
  const N = LIM.LIM_PLEX_BUDGET_PER_S - 2;
  const WINDOW_MS = 10000;
  let s;
  before(async () => {
    s = await startStack({ logLevel: 'info' });
  });
  after(async () => {
    await s?.stop();
  });

  test(`${N} sign-ins at once: each PIN polled about once a second, plex.tv never over the budget, no 429`, async () => {
    const p = s.provider;
    const logins = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const jar = new CookieJar();
      jar.ip = `10.8.0.${i + 1}`;
      const a = await authorize(p, authRequest(p).params, { jar });
      const st = await loginStart(p, a.loginId, jar);
      assert.ok(st.link, `a PIN for login ${i}`);
      return { jar, id: a.loginId, code: st.link.code };
    }));
    const pins = new Map((await s.fake.pins()).map((x) => [x.code, x.id]));
    const from = (await s.fake.log()).length;
    const t0 = Date.now();
    // The page: /login/status, a second, again (web/login.js).
    await Promise.all(logins.map(async (l) => {
      while (Date.now() - t0 < WINDOW_MS) {
        const r = await request(p.url(`/login/status?l=${l.id}`), { jar: l.jar });
        assert.equal(r.json().state, 'waiting');
        await sleep(1000);
      }
    }));
    const secs = (Date.now() - t0) / 1000;
    const log = (await s.fake.log()).slice(from);
    // Gaps between one PIN's polls. The page polls every second after each
    // answer and the server polls a PIN only when a second has passed
    // since its last poll ended, so even one login alone sees gaps of 1 or
    // 2 s (~0.9 polls a second, bench/plex-budget.mjs); the budget must
    // not stretch them.
    const gaps = logins.map((l) => {
      const t = log.filter((e) => e.path === `/api/v2/pins/${pins.get(l.code)}`).map((e) => e.t_ms);
      return t.slice(1).map((x, i) => x - t[i]);
    });
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const shown = gaps.map((g) => Math.round(mean(g))).join(' ');
    assert.ok(gaps.every((g) => g.length >= 3 && mean(g) <= 1700 && Math.min(...g) >= 900), `mean gaps per PIN (ms): ${shown}`);
    assert.ok(log.length <= LIM.LIM_PLEX_BUDGET_PER_S * secs + LIM.LIM_PLEX_BUDGET_BURST, `${log.length} calls in ${secs} s`);
    assert.equal(log.filter((e) => e.status === 429).length, 0);
  });

  test(`${3 * LIM.LIM_PLEX_BUDGET_PER_S} sign-ins at once: the budget holds (each PIN polled less often), still no 429`, async () => {
    const p = s.provider;
    const n = 3 * LIM.LIM_PLEX_BUDGET_PER_S;
    const logins = [];
    for (let i = 0; i < n; i++) {
      const jar = new CookieJar();
      jar.ip = `10.8.1.${i + 1}`;
      const a = await authorize(p, authRequest(p).params, { jar });
      const st = await loginStart(p, a.loginId, jar, { timeoutMs: 30000 });
      assert.ok(st.link, `a PIN for login ${i}: ${st.res.status}`);
      logins.push({ jar, id: a.loginId });
    }
    const from = (await s.fake.log()).length;
    const t0 = Date.now();
    await Promise.all(logins.map(async (l) => {
      while (Date.now() - t0 < WINDOW_MS) {
        const r = await request(p.url(`/login/status?l=${l.id}`), { jar: l.jar });
        assert.equal(r.json().state, 'waiting', 'waiting, never "unavailable"');
        await sleep(1000);
      }
    }));
    const secs = (Date.now() - t0) / 1000;
    const log = (await s.fake.log()).slice(from);
    // Bursts of the window's first second aside, the steady rate.
    assert.ok(log.length <= LIM.LIM_PLEX_BUDGET_PER_S * secs + LIM.LIM_PLEX_BUDGET_BURST, `${log.length} calls in ${secs} s`);
    assert.ok(log.length >= 0.7 * LIM.LIM_PLEX_BUDGET_PER_S * secs, `the budget is used: ${log.length} calls in ${secs} s`);
    assert.equal(log.filter((e) => e.status === 429).length, 0);
  });
});

// plex-failures.test.mjs - plex.tv misbehaving (docs/PLEX-API.md, "Answers,
// errors and what the user sees"): 5xx, 429, timeouts, connection resets and
// garbage at any of the four calls mean "Plex is not answering, try again"
// (503), never "denied" and never a hang; an expired PIN means "timed out";
// a rejected token is not a denial either. Also: one X-Plex-Client-Identifier
// for every call, and at most about one PIN poll per second per login.
//
// fake-plex faults are global to one fake, so each group below has its own
// fake and provider, and the groups run at the same time (the hang cases
// wait for the provider's plex.tv timeout, several seconds each).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  authorize, authRequest, CookieJar, loginForCode, loginStart, request, sleep, startStack, waitOutcome,
} from './lib/harness.mjs';

const PLEX_TIMEOUT_MS = 8000; // src/po_limits.h LIM_PLEX_TOTAL_TIMEOUT_MS; "a few seconds"
const MARGIN_MS = 10000; // generous: CI machines are small and may be busy

// One sign-in with a fault injected at endpoint. Returns what the browser
// would have seen: start (the /login/start answer), outcome (the state the
// page's polling ended on), final (the page that outcome led to).
async function faultyLogin(stack, { endpoint, mode, times, user = 'alice', revoke }) {
  const { fake, provider: p } = stack;
  await fake.reset();
  if (endpoint) await fake.fault(endpoint, mode, times);
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
    for (const mode of ['status:500', 'status:503', 'status:429', 'garbage']) {
      test(`${mode} -> "Plex is not answering" (503)`, async () => {
        const r = await faultyLogin(ctx.stack, { endpoint: 'pins.get', mode });
        assertUnavailable(r, ctx.stack);
        const polls = (await ctx.stack.fake.log()).filter((e) => e.endpoint === 'pins.get');
        assert.ok(polls.length >= 1, 'the PIN was polled');
        assert.ok(polls.every((e) => e.fault === mode), 'every poll failed');
      });
    }

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

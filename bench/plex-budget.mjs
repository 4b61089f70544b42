#!/usr/bin/env node
// bench/plex-budget.mjs - how many sign-ins at once keep one PIN poll per
// second each, within plex-oidc's one budget for plex.tv calls
// (LIM_PLEX_BUDGET_PER_S, LIM_PLEX_BUDGET_BURST in src/po_limits.h).
//
// For each N, starts a fake plex.tv and plex-oidc (tests/e2e/lib/harness.mjs),
// opens N sign-ins at once (authorize, /login/start: one PIN each), then
// plays the login page for each: GET /login/status, wait a second, again
// (web/login.js), for WINDOW seconds, never approving. Reports, from the
// fake's log: PIN polls per second per PIN (mean and the slowest PIN), and
// all plex.tv calls per second.
//
//   node bench/plex-budget.mjs                  # N = 1 5 7 9 10 12 15 20 30
//   NS="5 10" WINDOW=20 node bench/plex-budget.mjs
//   PLEX_OIDC_BIN=build/plex-oidc (default)
//
// Not part of `make test` (it takes a few minutes); the claim it supports is
// checked by tests/e2e/plex-failures.test.mjs for one N.
import { authorize, authRequest, CookieJar, loginStart, request, sleep, startStack } from '../tests/e2e/lib/harness.mjs';

const NS = (process.env.NS ?? '1 5 7 9 10 12 15 20 30').split(/\s+/).filter(Boolean).map(Number);
const WINDOW_S = Number(process.env.WINDOW ?? 15);

async function one(n) {
  const s = await startStack({ logLevel: 'warn' });
  try {
    const p = s.provider;
    const logins = await Promise.all(Array.from({ length: n }, async (_, i) => {
      const jar = new CookieJar();
      jar.ip = `10.9.${i >> 8}.${i & 255}`; // one browser per address, as in real use
      const a = await authorize(p, authRequest(p).params, { jar });
      const st = await loginStart(p, a.loginId, jar);
      if (!st.link) throw new Error(`no PIN for login ${i}: ${st.res.status}`);
      return { jar, id: a.loginId, code: st.link.code };
    }));
    const pins = new Map((await s.fake.pins()).map((x) => [x.code, x.id]));
    const t0 = Date.now();
    const logStart = (await s.fake.log()).length;
    await Promise.all(logins.map(async (l) => {
      while (Date.now() - t0 < WINDOW_S * 1000) {
        const r = await request(p.url(`/login/status?l=${l.id}`), { jar: l.jar });
        if (r.status !== 200 || r.json().state !== 'waiting') throw new Error(`status ${r.status} ${r.text}`);
        await sleep(1000);
      }
    }));
    const secs = (Date.now() - t0) / 1000;
    const log = (await s.fake.log()).slice(logStart);
    const perPin = logins.map((l) => log.filter((e) => e.endpoint === 'pins.get' &&
      e.path === `/api/v2/pins/${pins.get(l.code)}`).length / secs);
    const limited = log.filter((e) => e.status === 429).length;
    return {
      n,
      mean: perPin.reduce((a, b) => a + b, 0) / n,
      min: Math.min(...perPin),
      total: log.length / secs,
      limited,
    };
  } finally {
    await s.stop();
  }
}

console.log(`window ${WINDOW_S} s; page polls /login/status every second (after each answer)`);
console.log('logins  polls/s per PIN (mean, slowest)  plex.tv calls/s  429s');
for (const n of NS) {
  const r = await one(n);
  console.log(`${String(r.n).padStart(6)}  ${r.mean.toFixed(2).padStart(10)}  ${r.min.toFixed(2).padStart(7)}` +
    `${r.total.toFixed(1).padStart(22)}  ${String(r.limited).padStart(5)}`);
}

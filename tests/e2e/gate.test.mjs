// gate.test.mjs - forward auth: plex-oidc guarding apps that speak no
// OpenID Connect (docs/INTEGRATIONS.md, "Forward auth"), driven end to end.
//
// Real parts: Debian's nginx (auth_request) and Debian's Caddy
// (forward_auth), each started by the test on 127.0.0.1 with the very
// configurations docs/INTEGRATIONS.md shows (etc/forward-auth/, only the
// names, ports and certificate paths replaced), in front of plex-oidc and
// of a small "app" that shows the headers it receives; Chromium signs in
// through the real pages; plex.tv is the fake.
//
// TLS, honestly: the issuer is https://auth.example.test:PORT, as in
// production (plex-oidc requires https for a host that is not loopback,
// and the forward-auth cookie is then __Secure- and Secure). nginx
// terminates TLS with a certificate openssl makes at test time for
// example.test and *.example.test; Caddy with one from its own internal
// CA (local_certs). Chromium maps *.example.test to 127.0.0.1
// (--host-resolver-rules; .test is reserved, RFC 2606) and its contexts
// accept these certificates (ignoreHTTPSErrors): nothing in plex-oidc is
// relaxed for the test. The cookie domain is example.test, so cookies
// behave across the test's hosts as they do across a real domain.
//
// Traefik is not packaged by Debian: its exchange is held to the
// documented middleware (etc/forward-auth/traefik.yml) by sending what
// Traefik sends to the address it names, and checking the answer it
// passes on.
//
// Users of the fake plex.tv: alice owns the configured server, fred is a
// friend, mia a managed Plex Home user (no username, no email), nora has
// no access. Sonarr is for the owner alone; Overseerr allows every
// relationship (etc/forward-auth/plex-oidc.ini).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BIN, CookieJar, FakePlex, freePort, launchBrowser, loginStart, Provider, REPO, request, sleep, tempDir, USERS,
  waitOutcome,
} from './lib/harness.mjs';
import {
  appSections, caddyMissing, DOMAIN, faText, GateCaddy, GateNginx, startEchoApp, testCert, tlsRequest,
} from './lib/gate-proxies.mjs';
import { nginxMissing } from './lib/nginx.mjs';

const RECHECK_S = 10;
const OWNER_ID = 22526914;
const GATE_COOKIE = '__Secure-plexoidc_gate';

let fake;
let app;
let browser;
const px = {}; // nginx and caddy: {proxy, p (plex-oidc), port, issuer}

// plex-oidc behind a proxy whose port the issuer names.
async function providerFor(port, extra = {}) {
  return Provider.start({
    fake, ownerId: OWNER_ID, clients: {}, issuer: `https://auth.${DOMAIN}:${port}`,
    server: [`cookie_domain = ${DOMAIN}`, `access_recheck = ${RECHECK_S}s`], sections: appSections(), ...extra,
  });
}

before(async () => {
  for (const why of [nginxMissing(), caddyMissing()]) assert.equal(why, null, why);
  fake = await FakePlex.start();
  app = await startEchoApp();
  const cert = await testCert();
  for (const [name, Proxy] of [['nginx', GateNginx], ['caddy', GateCaddy]]) {
    const port = await freePort();
    const p = await providerFor(port);
    const proxy = await Proxy.start({ port, providerPort: p.port, appPort: app.port, cert });
    px[name] = { name, proxy, p, port, issuer: `https://auth.${DOMAIN}:${port}` };
  }
  browser = await launchBrowser({ args: [`--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1`] });
});

after(async () => {
  await browser?.close();
  for (const x of Object.values(px)) await x.proxy?.stop();
  try {
    for (const x of Object.values(px)) await x.p?.stop();
  } finally {
    await fake?.stop();
    await app?.close();
  }
});

const appUrl = (x, name, rest = '/') => `https://${name}.${DOMAIN}:${x.port}${rest}`;

// A Chromium profile: its own cookies, the test's certificates accepted.
async function newContext(extraHeaders) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  if (extraHeaders) await context.setExtraHTTPHeaders(extraHeaders);
  return context;
}

// On the login page: the Plex popup, approved as user.
async function signInWithPlex(page, user) {
  await page.waitForSelector('#signin');
  const popupPromise = page.waitForEvent('popup');
  await page.click('#signin');
  const popup = await popupPromise;
  await popup.waitForSelector(`#as-${user}`);
  await popup.click(`#as-${user}`);
}

// What the app received, from its page.
async function seen(page) {
  return JSON.parse(await page.textContent('#seen'));
}

// A sign-in over HTTP to plex-oidc's own socket (no proxy): the login
// page for rd, the fake's approval, then /login/finish. Returns the jar
// (with the forward-auth cookie) and the final answer.
async function gateLoginHttp(p, rd, user) {
  const view = { url: (q) => `${p.direct}${q}`, fake };
  const jar = new CookieJar();
  const res = await request(`${p.direct}/forward-auth/login?rd=${encodeURIComponent(rd)}`, { jar });
  assert.equal(res.status, 200, res.text.slice(0, 300));
  const id = /data-login-id="([^"]+)"/.exec(res.text)[1];
  const s = await loginStart(view, id, jar);
  await fake.approve(s.link.code, user);
  const out = await waitOutcome(view, id, jar);
  assert.equal(out.state, 'done');
  const final = await request(`${p.direct}${out.next}`, { jar });
  return { jar, final };
}

// The forward-auth exchange as Traefik makes it (etc/forward-auth/
// traefik.yml): GET to the middleware's address with the original
// request's headers (cookies included) and X-Forwarded-*.
const TRAEFIK = (() => {
  const y = faText('traefik.yml');
  const address = /address:\s*"([^"]+)"/.exec(y)[1];
  const list = /authResponseHeaders:\n((?:\s+- \S+\n)+)/.exec(y)[1];
  return { path: new URL(address).pathname, headers: [...list.matchAll(/- (\S+)/g)].map((m) => m[1]) };
})();

function traefikAsk(p, { host, uri = '/', method = 'GET', proto = 'https', cookie, extra = {} }) {
  return request(`${p.direct}${TRAEFIK.path}`, {
    headers: {
      'x-forwarded-method': method, 'x-forwarded-proto': proto, 'x-forwarded-host': host, 'x-forwarded-uri': uri,
      'x-forwarded-for': '203.0.113.7', 'user-agent': 'Mozilla/5.0 (test)', accept: 'text/html',
      ...(cookie ? { cookie } : {}), ...extra,
    },
  });
}

describe('the documented configurations', () => {
  test('docs/INTEGRATIONS.md shows every file of etc/forward-auth/ verbatim, and the tests run them', () => {
    const doc = fs.readFileSync(path.join(REPO, 'docs/INTEGRATIONS.md'), 'utf8');
    const lang = { 'nginx.conf': 'nginx', 'plex-oidc-auth.conf': 'nginx', 'plex-oidc-protect.conf': 'nginx',
      Caddyfile: 'caddyfile', 'traefik.yml': 'yaml', 'plex-oidc.ini': 'ini' };
    for (const f of fs.readdirSync(path.join(REPO, 'etc/forward-auth'))) {
      assert.ok(lang[f], `etc/forward-auth/${f} is one of the documented files`);
      const block = `\`\`\`${lang[f]}\n${faText(f).trim()}\n\`\`\``;
      assert.ok(doc.includes(block), `docs/INTEGRATIONS.md shows etc/forward-auth/${f} verbatim`);
    }
    assert.deepEqual(TRAEFIK.headers, ['Remote-User', 'Remote-Name', 'Remote-Email', 'Remote-Groups']);
    assert.equal(TRAEFIK.path, '/forward-auth');
  });
});

describe('check-config and cookie_domain', () => {
  const check = async (lines) => {
    const dir = await tempDir();
    const file = path.join(dir, 'plex-oidc.ini');
    fs.writeFileSync(file, ['[server]', 'listen = 127.0.0.1:8080', 'issuer = https://auth.example.com',
      `data_dir = ${dir}`, ...lines.server, '[plex]', 'server_id = 0123456789abcdef', `owner_id = ${OWNER_ID}`,
      ...lines.apps, ''].join('\n'));
    return { file, r: spawnSync(BIN, ['check-config', file], { encoding: 'utf8' }) };
  };

  test('the documented apps load; a host or an issuer outside cookie_domain is named', async () => {
    const ok = await check({ server: ['trusted_proxies = 127.0.0.1'], apps: faText('plex-oidc.ini').split('\n') });
    assert.equal(ok.r.status, 0, ok.r.stderr);
    assert.equal(ok.r.stdout, `${ok.file}: OK (0 clients, 2 apps)\n`);
    const host = await check({ server: [], apps: ['[app.sonarr]', 'hosts = sonarr.example.org'] });
    assert.equal(host.r.status, 1);
    assert.match(host.r.stderr, /:9: \[app\.sonarr\] hosts: "sonarr\.example\.org" is not under \[server\] cookie_domain "example\.com" \(the default: the issuer's host without its first label\)/);
    const issuer = await check({ server: ['cookie_domain = example.net'], apps: ['[app.sonarr]', 'hosts = sonarr.example.net'] });
    assert.equal(issuer.r.status, 1);
    assert.match(issuer.r.stderr, /:5: \[server\] cookie_domain: "example\.net" is not the issuer's host "auth\.example\.com" or a parent domain of it/);
  });
});

for (const name of ['nginx', 'caddy']) {
  describe(`${name} in front of the apps, Chromium signing in`, { concurrency: 1 }, () => {
    test('a stranger is sent to sign in; the owner lands on the original URL, and the app gets who it is', async () => {
      const x = px[name];
      const ctx = await newContext();
      try {
        const page = await ctx.newPage();
        let popups = 0;
        page.on('popup', () => { popups++; });
        const target = appUrl(x, 'sonarr', '/calendar?view=week&day=2');
        const hits = app.hits.length;
        await page.goto(target);
        const at = new URL(page.url());
        assert.equal(at.origin, x.issuer, 'sent to plex-oidc');
        assert.equal(at.pathname, '/forward-auth/login');
        assert.equal(at.searchParams.get('rd'), target, 'carrying the original URL');
        assert.match(await page.textContent('body'), /Continue to\s+Sonarr/);
        assert.equal(app.hits.length, hits, 'the app saw nothing yet');

        await signInWithPlex(page, 'alice');
        await page.waitForURL(target, { timeout: 30000 });
        const s = await seen(page);
        assert.equal(s.url, '/calendar?view=week&day=2', 'path and query included');
        assert.match(s.host, new RegExp(`^sonarr\\.${DOMAIN.replace('.', '\\.')}(:${x.port})?$`));
        assert.deepEqual(s.remote, {
          'remote-user': 'alice', 'remote-name': USERS.alice.name, 'remote-email': USERS.alice.email,
          'remote-groups': 'plex-owner',
        });
        const c = (await ctx.cookies(target)).find((k) => k.name === GATE_COOKIE);
        assert.ok(c, 'the forward-auth cookie');
        assert.equal(c.domain, `.${DOMAIN}`, 'on cookie_domain, for every guarded host');
        assert.equal(c.secure, true);
        assert.equal(c.httpOnly, true);
        assert.equal(c.sameSite, 'Lax');
        assert.ok(!c.value.includes('alice'), 'sealed');

        // Every later request of the app goes through: no page, no popup.
        await page.goto(appUrl(x, 'sonarr', '/api/v3/series?page=1'));
        assert.equal((await seen(page)).url, '/api/v3/series?page=1');
        assert.equal(popups, 1);

        // Signed in to plex-oidc but without the forward-auth cookie (as
        // after a sign-in through an OpenID Connect app): handed over at
        // once, no page, no popup, back on the original URL.
        await ctx.clearCookies({ name: GATE_COOKIE });
        await page.goto(appUrl(x, 'sonarr', '/wanted?x=1'));
        assert.equal((await seen(page)).url, '/wanted?x=1');
        assert.equal(popups, 1);
        assert.ok((await ctx.cookies(target)).some((k) => k.name === GATE_COOKIE), 'the cookie is back');
      } finally {
        await ctx.close();
      }
    });

    test('a friend gets 403 on the owner-only app and reaches the app that allows friends, signed in once', async () => {
      const x = px[name];
      const ctx = await newContext();
      try {
        const page = await ctx.newPage();
        let popups = 0;
        page.on('popup', () => { popups++; });
        await page.goto(appUrl(x, 'sonarr', '/'));
        await signInWithPlex(page, 'fred');
        await page.waitForSelector('.kind-denied');
        assert.equal(new URL(page.url()).origin, x.issuer, 'the refusal is plex-oidc\'s page, not a redirect');
        assert.match(await page.textContent('h1'), /You don.t have access to Sonarr/);
        assert.match(await page.textContent('body'), /Fred Weasley/);

        const target = appUrl(x, 'overseerr', '/requests?filter=all');
        const r = await page.goto(target);
        assert.equal(r.status(), 200);
        assert.equal(page.url(), target, 'no sign-in page: the session reaches every guarded host');
        const s = await seen(page);
        assert.equal(s.remote['remote-user'], USERS.fred.username);
        assert.equal(s.remote['remote-groups'], 'plex-friend');
        assert.equal(popups, 1);

        // Signed in, still not allowed: 403 at once, no sign-in.
        const again = await page.goto(appUrl(x, 'sonarr', '/'));
        assert.equal(again.status(), 403);
        assert.equal(new URL(page.url()).host, `sonarr.${DOMAIN}:${x.port}`);
        if (name === 'caddy') {
          // Caddy passes plex-oidc's page on: it names the app.
          assert.match(await page.textContent('h1'), /You don.t have access to Sonarr/);
        }
      } finally {
        await ctx.close();
      }
    });

    test('a request line naming one app and a Host header naming another is decided for the app that serves it', async () => {
      // fred (a friend) may use Overseerr, not Sonarr. The request line
      // names Sonarr in absolute form, the Host header Overseerr: the
      // proxy serves Sonarr, so the check must be Sonarr's.
      const x = px[name];
      const { jar } = await gateLoginHttp(x.p, appUrl(x, 'overseerr', '/'), 'fred');
      const cookie = `${GATE_COOKIE}=${jar.cookies.get(GATE_COOKIE)}`;
      const ask = (target, host) => new Promise((resolve, reject) => {
        const req = https.request({
          host: '127.0.0.1', port: x.port, path: target, servername: `sonarr.${DOMAIN}`, rejectUnauthorized: false,
          headers: { host, cookie }, timeout: 20000,
        }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => { text += d; });
          res.on('end', () => resolve({ status: res.statusCode, text }));
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
      });
      const plain = await ask('/', `overseerr.${DOMAIN}:${x.port}`);
      assert.equal(plain.status, 200, 'the cookie works where fred is allowed');
      const r = await ask(appUrl(x, 'sonarr', '/'), `overseerr.${DOMAIN}:${x.port}`);
      assert.notEqual(r.status, 200, r.text.slice(0, 200));
      assert.doesNotMatch(r.text, /id="seen"/, 'Sonarr was not reached');
    });

    test('the app never sees Remote-* headers the browser sent', async () => {
      const x = px[name];
      const forged = { 'Remote-User': 'admin', 'Remote-Email': 'forged@evil.example', 'Remote-Groups': 'plex-owner',
        'Remote-Name': 'Admin' };
      const ctx = await newContext(forged);
      try {
        const page = await ctx.newPage();
        const target = appUrl(x, 'overseerr', '/');
        await page.goto(target);
        await signInWithPlex(page, 'mia');
        await page.waitForURL(target, { timeout: 30000 });
        const s = await seen(page);
        // mia has no Plex username and no email: the uuid, and no
        // Remote-Email at all (not the forged one, not an empty one).
        assert.deepEqual(s.remote, { 'remote-user': USERS.mia.uuid, 'remote-name': USERS.mia.name,
          'remote-groups': 'plex-home' });
      } finally {
        await ctx.close();
      }
    });

    test('logout at plex-oidc ends the forward-auth session too', async () => {
      const x = px[name];
      const ctx = await newContext();
      try {
        const page = await ctx.newPage();
        const target = appUrl(x, 'sonarr', '/');
        await page.goto(target);
        await signInWithPlex(page, 'alice');
        await page.waitForURL(target, { timeout: 30000 });
        const before = (await ctx.cookies(target)).find((k) => k.name === GATE_COOKIE);
        assert.ok(before);

        await page.goto(`${x.issuer}/logout`);
        await page.click('#signout');
        await page.waitForSelector('.kind-done');
        assert.equal((await ctx.cookies(target)).find((k) => k.name === GATE_COOKIE), undefined, 'cookie removed');
        await page.goto(target);
        assert.equal(new URL(page.url()).pathname, '/forward-auth/login', 'signed out of the app');

        // The cookie from before, replayed, is refused: the session ended at
        // plex-oidc, not only in this browser.
        const r = await tlsRequest(target, { headers: { cookie: `${GATE_COOKIE}=${before.value}` } });
        assert.equal(r.status, 302);
        assert.match(r.headers.location, /\/forward-auth\/login\?rd=/);
      } finally {
        await ctx.close();
      }
    });

    test('the return URL is checked before anything else: no open redirect', async () => {
      const x = px[name];
      const login = (rd) => `${x.issuer}/forward-auth/login?rd=${encodeURIComponent(rd)}`;
      const port = x.port;
      const bad = [
        'https://evil.example/', // another host
        `https://auth.${DOMAIN}:${port}/`, // plex-oidc itself is no app
        '//evil.example/', // protocol-relative
        `https://sonarr.${DOMAIN}:${port}@evil.example/`, // userinfo
        `https://user:pass@sonarr.${DOMAIN}:${port}/`,
        'https:/\\evil.example/', // backslashes
        `https://evil.example\\@sonarr.${DOMAIN}:${port}/`,
        `https://sonarr.${DOMAIN}:${port}/\\evil.example`,
        encodeURIComponent('https://evil.example/'), // encoded (twice, in the link)
        `https://sonarr.${DOMAIN}%2F%2F@evil.example/`,
        `https://sonarr.${DOMAIN}%2eevil.example/`,
        `https://sonarr.${DOMAIN}:${port}/%2F%2Fevil.example`,
        `https://sonarr.${DOMAIN}.evil/`, // look-alike suffix
        `https://sonarr.${DOMAIN}.evil.example:${port}/`,
        `http://sonarr.${DOMAIN}:${port}/`, // http, the issuer being https
        'javascript:alert(document.cookie)',
        `https://sonarr.${DOMAIN}:${port}/a%0d%0aSet-Cookie:%20x=1`,
      ];
      for (const rd of bad) {
        const r = await tlsRequest(login(rd));
        assert.equal(r.status, 400, rd);
        assert.equal(r.headers.location, undefined, `no redirect for ${rd}`);
        assert.match(r.text, /not for an app here/, rd);
      }
      const good = await tlsRequest(login(appUrl(x, 'sonarr', '/x?y=1')));
      assert.equal(good.status, 200, 'an app\'s own address gets the login page');
      assert.match(good.text, /data-login-id/);

      // In the browser: the page stays on plex-oidc's host.
      const ctx = await newContext();
      try {
        const page = await ctx.newPage();
        const r = await page.goto(login(`https://sonarr.${DOMAIN}.evil/`));
        assert.equal(r.status(), 400);
        assert.equal(new URL(page.url()).origin, x.issuer);
      } finally {
        await ctx.close();
      }
    });
  });
}

describe('the exchange Traefik performs (etc/forward-auth/traefik.yml)', { concurrency: 1 }, () => {
  const host = `sonarr.${DOMAIN}`;
  let alice;
  let mia;
  let fred;
  before(async () => {
    const p = px.nginx.p;
    const cookieOf = async (rd, user) => {
      const { jar } = await gateLoginHttp(p, rd, user);
      const v = jar.get(GATE_COOKIE);
      assert.ok(v, `a forward-auth cookie for ${user}`);
      return `${GATE_COOKIE}=${v}`;
    };
    alice = await cookieOf(`https://${host}/`, 'alice');
    mia = await cookieOf(`https://overseerr.${DOMAIN}/`, 'mia');
    fred = await cookieOf(`https://overseerr.${DOMAIN}/`, 'fred');
  });

  test('no session: 302 to the sign-in with the original URL, which Traefik passes to the browser', async () => {
    const p = px.nginx.p;
    const r = await traefikAsk(p, { host, uri: '/series/1?tab=files&x=%20y' });
    assert.equal(r.status, 302);
    const loc = new URL(r.location);
    assert.equal(`${loc.origin}${loc.pathname}`, `${px.nginx.issuer}/forward-auth/login`);
    assert.equal(loc.searchParams.get('rd'), `https://${host}/series/1?tab=files&x=%20y`);
    assert.match(r.headers.get('cache-control'), /no-store/);
    // With the proxy on another port (X-Forwarded-Host carries it), a host
    // in other case, and another method.
    const r2 = await traefikAsk(p, { host: `SONARR.${DOMAIN.toUpperCase()}:8443`, uri: '/', method: 'POST' });
    assert.equal(r2.status, 303, 'a POST is sent on as a GET');
    assert.equal(new URL(r2.location).searchParams.get('rd'), `https://${host}:8443/`);
    // A path that is no return address falls back to the app's root.
    const r3 = await traefikAsk(p, { host, uri: '//evil.example/' });
    assert.equal(new URL(r3.location).searchParams.get('rd'), `https://${host}/`);
  });

  test('signed in and allowed: 200 with every header of authResponseHeaders', async () => {
    const p = px.nginx.p;
    const r = await traefikAsk(p, { host, uri: '/api/v3/system/status', cookie: alice });
    assert.equal(r.status, 200);
    const got = Object.fromEntries(TRAEFIK.headers.map((h) => [h, r.headers.get(h)]));
    assert.deepEqual(got, { 'Remote-User': 'alice', 'Remote-Name': USERS.alice.name,
      'Remote-Email': USERS.alice.email, 'Remote-Groups': 'plex-owner' });
    // Checked again and again (the first from the sealed cookie, the second
    // from the cache, the rest with the answer the cache keeps built): the
    // same answer every time.
    for (let i = 0; i < 4; i++) {
      const again = await traefikAsk(p, { host, uri: `/poster/${i}.jpg`, cookie: alice });
      assert.equal(again.status, 200);
      assert.deepEqual(Object.fromEntries(TRAEFIK.headers.map((h) => [h, again.headers.get(h)])), got, `check ${i + 2}`);
      assert.equal(again.headers.get('x-content-type-options'), 'nosniff');
    }
    // The same cookie for the host with its port, any case.
    assert.equal((await traefikAsk(p, { host: `Sonarr.${DOMAIN}:443`, cookie: alice })).status, 200);
    const m = await traefikAsk(p, { host: `overseerr.${DOMAIN}`, cookie: mia });
    assert.equal(m.status, 200);
    assert.equal(m.headers.get('remote-user'), USERS.mia.uuid, 'no Plex username: the uuid');
    assert.equal(m.headers.get('remote-email'), null, 'no email: no header');
    assert.equal(m.headers.get('remote-groups'), 'plex-home');
  });

  test('the cookie twice (another domain\'s, from before cookie_domain changed): one sign-in round removes the other', async () => {
    const p = px.nginx.p;
    const rd = `https://${host}/`;
    const { jar } = await gateLoginHttp(p, rd, 'alice');
    const mine = jar.get(GATE_COOKIE);
    // The browser sends both; a check cannot tell which is meant.
    const both = `${GATE_COOKIE}=${mine}; ${alice}`;
    const r = await traefikAsk(p, { host, cookie: both });
    assert.equal(r.status, 302, 'sent to sign in');
    // The sign-in (the sign-on session is there: no page) hands over a new
    // cookie on cookie_domain and removes the same name on every other
    // domain the issuer's host can see, and the host-only one.
    const headers = { cookie: `${jar.header()}; ${alice}` };
    const back = await request(`${p.direct}/forward-auth/login?rd=${encodeURIComponent(rd)}`, { headers });
    assert.equal(back.status, 302, back.text.slice(0, 300));
    assert.equal(back.location, rd);
    const set = back.headers.getSetCookie().filter((c) => c.startsWith(`${GATE_COOKIE}=`));
    const attrs = (c) => Object.fromEntries(c.split(/;\s*/).slice(1).map((a) => a.split('=')).map(([k, v]) => [k.toLowerCase(), v ?? true]));
    const kept = set.filter((c) => !/Max-Age=0/i.test(c));
    assert.equal(kept.length, 1, set.join('\n'));
    assert.equal(attrs(kept[0]).domain, DOMAIN);
    const removed = set.filter((c) => /Max-Age=0/i.test(c)).map((c) => attrs(c).domain ?? '(host-only)').sort();
    assert.deepEqual(removed, ['(host-only)', `auth.${DOMAIN}`].sort(), set.join('\n'));
    // A single cookie: no removals.
    const once = await request(`${p.direct}/forward-auth/login?rd=${encodeURIComponent(rd)}`, { jar });
    assert.equal(once.status, 302);
    assert.deepEqual(once.headers.getSetCookie().filter((c) => /Max-Age=0/i.test(c)), []);
  });

  test('signed in, not allowed: 403 with the page naming the app, styled from the issuer', async () => {
    const r = await traefikAsk(px.nginx.p, { host, cookie: fred });
    assert.equal(r.status, 403);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.match(r.text, /You don(&#39;|'|&#x27;)t have access to Sonarr/);
    assert.match(r.text, new RegExp(`href="${px.nginx.issuer}/logout"`), 'sign out at plex-oidc');
    assert.match(r.text, new RegExp(`href="${px.nginx.issuer}/assets/style.css`));
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, new RegExp(`style-src ${px.nginx.issuer};`));
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/);
  });

  test('a host of no app, and unusable forwarded headers: 403', async () => {
    const p = px.nginx.p;
    assert.equal((await traefikAsk(p, { host: `other.${DOMAIN}`, cookie: alice })).status, 403);
    assert.equal((await traefikAsk(p, { host: `sonarr.${DOMAIN}.evil`, cookie: alice })).status, 403);
    assert.equal((await traefikAsk(p, { host: `user@sonarr.${DOMAIN}`, cookie: alice })).status, 403);
    assert.equal((await traefikAsk(p, { host, proto: 'http', cookie: alice })).status, 403, 'http app, https issuer');
    assert.equal((await traefikAsk(p, { host, proto: 'gopher', cookie: alice })).status, 403);
    const noHost = await request(`${p.direct}/forward-auth`, { headers: { 'x-forwarded-proto': 'https', cookie: alice } });
    assert.equal(noHost.status, 403);
  });

  test('a forwarded header sent twice is not believed', async () => {
    const p = px.nginx.p;
    // Raw HTTP: fetch would join the two lines into one.
    const raw = await new Promise((resolve, reject) => {
      const s = net.connect(p.port, '127.0.0.1', () => {
        s.write(['GET /forward-auth HTTP/1.1', `Host: 127.0.0.1:${p.port}`, 'X-Forwarded-Proto: https',
          `X-Forwarded-Host: other.${DOMAIN}`, `X-Forwarded-Host: ${host}`, 'X-Forwarded-Uri: /', `Cookie: ${alice}`,
          'Connection: close', '', ''].join('\r\n'));
      });
      let out = '';
      s.on('data', (d) => { out += d; });
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 403 /);
  });
});

describe('/auth-request (nginx auth_request)', () => {
  test('200 with the headers, 401 with the sign-in in Location, 403; X-Original-URL or X-Forwarded-*', async () => {
    const p = px.nginx.p;
    const { jar } = await gateLoginHttp(p, `https://overseerr.${DOMAIN}/`, 'fred');
    const cookie = `${GATE_COOKIE}=${jar.get(GATE_COOKIE)}`;
    const ask = (headers) => request(`${p.direct}/auth-request`, { headers });
    const ok = await ask({ 'x-original-url': `https://overseerr.${DOMAIN}/x`, cookie });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('remote-user'), USERS.fred.username);
    const no = await ask({ 'x-original-url': `https://overseerr.${DOMAIN}/x?y=1` });
    assert.equal(no.status, 401);
    assert.equal(new URL(no.location).searchParams.get('rd'), `https://overseerr.${DOMAIN}/x?y=1`);
    assert.equal((await ask({ 'x-original-url': `https://sonarr.${DOMAIN}/`, cookie })).status, 403);
    const fwd = await ask({ 'x-forwarded-proto': 'https', 'x-forwarded-host': `overseerr.${DOMAIN}`,
      'x-forwarded-uri': '/', cookie });
    assert.equal(fwd.status, 200, 'the X-Forwarded-* set works too');
    // Both, naming different hosts: one of them is the client's.
    const both = await ask({ 'x-original-url': `https://overseerr.${DOMAIN}/`, 'x-forwarded-host': `sonarr.${DOMAIN}`,
      cookie });
    assert.equal(both.status, 403);
    // X-Original-URL is nginx's: /forward-auth ignores it.
    const fa = await request(`${p.direct}/forward-auth`, { headers: { 'x-original-url': `https://overseerr.${DOMAIN}/`,
      cookie } });
    assert.equal(fa.status, 403);
  });
});

describe('only trusted proxies are believed', () => {
  test('a peer outside trusted_proxies gets 403 from both checks, whatever it sends', async () => {
    const port = await freePort();
    // The same installation, told its proxy is elsewhere (10.9.9.9).
    const p = await providerFor(port, { env: { PLEX_OIDC_SERVER_TRUSTED_PROXIES: '10.9.9.9' } });
    try {
      const { jar } = await gateLoginHttp(p, `https://overseerr.${DOMAIN}/`, 'alice');
      const cookie = `${GATE_COOKIE}=${jar.get(GATE_COOKIE)}`;
      const fa = await traefikAsk(p, { host: `overseerr.${DOMAIN}`, cookie });
      assert.equal(fa.status, 403);
      assert.equal(fa.headers.get('remote-user'), null);
      const ar = await request(`${p.direct}/auth-request`, { headers: {
        'x-original-url': `https://overseerr.${DOMAIN}/`, cookie } });
      assert.equal(ar.status, 403);
      // ...and no sign-in redirect for a stranger either.
      assert.equal((await traefikAsk(p, { host: `overseerr.${DOMAIN}` })).status, 403);
      assert.match(p.logText(), /refused a check from 127\.0\.0\.1: the peer is not in \[server\] trusted_proxies/);
    } finally {
      await p.stop();
    }
  });
});

describe('access is re-checked with Plex on the session\'s schedule', { concurrency: 1 }, () => {
  test('an un-shared friend is locked out of every app at the next re-check', async () => {
    const x = px.caddy;
    const ctx = await newContext();
    try {
      const page = await ctx.newPage();
      const target = appUrl(x, 'overseerr', '/');
      await page.goto(target);
      await signInWithPlex(page, 'fred');
      await page.waitForURL(target, { timeout: 30000 });
      // Within access_recheck: no plex.tv call per request.
      const calls0 = (await fake.log()).filter((c) => c.endpoint === 'resources').length;
      for (let i = 0; i < 5; i++) assert.equal((await page.goto(appUrl(x, 'overseerr', `/r${i}`))).status(), 200);
      const calls1 = (await fake.log()).filter((c) => c.endpoint === 'resources').length;
      assert.equal(calls1, calls0, 'no re-check while the last one is fresh');

      await fake.unshare('fred');
      await sleep((RECHECK_S + 1) * 1000);
      const r = await page.goto(appUrl(x, 'overseerr', '/after'));
      assert.equal(r.status(), 403);
      assert.match(await page.textContent('h1'), /No access for this Plex account/);
      assert.ok(!app.hits.some((h) => h.url === '/after'), 'the app never saw the request');
      // The session ended: every app now asks for a new sign-in.
      await page.goto(appUrl(x, 'sonarr', '/'));
      assert.equal(new URL(page.url()).pathname, '/forward-auth/login');
    } finally {
      await ctx.close();
      await fake.share('fred');
    }
  });
});

describe('metrics', () => {
  test('plexoidc_forward_auth_total counts each decision', async () => {
    const m = (await request(`${px.nginx.p.direct}/metrics`)).text;
    assert.match(m, /^# TYPE plexoidc_forward_auth_total counter$/m);
    const n = (d) => Number(new RegExp(`^plexoidc_forward_auth_total\\{decision="${d}"\\} (\\d+)$`, 'm').exec(m)[1]);
    for (const d of ['allowed', 'sign_in', 'denied', 'refused']) assert.ok(n(d) > 0, `${d}: ${n(d)}`);
    assert.equal(n('unavailable'), 0);
  });
});

// setup.test.mjs - setup mode: plex-oidc started without --config (README,
// src/oidc/setup.c). It listens on 127.0.0.1 only with a throw-away data
// directory; the operator signs in with Plex through the normal login page,
// picks one of the servers the account owns and gets a configuration that
// loads, with a fresh URL-safe client secret and the values Cloudflare
// Access needs. The setup routes do not exist in a normal configuration.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  BIN, CookieJar, FakePlex, freePort, launchBrowser, loginStart, parseLoginId, recordSecret, request, runLogPath,
  SERVER_ID, sleep, startStack, tempDir, waitOutcome,
} from './lib/harness.mjs';

// The fake's servers (tests/fake-plex/fake-plex.mjs): alice owns SERVER_ID;
// hank owns hank-nas and is a Home member of SERVER_ID; fred and nora own
// no server but have shares.
const HANK_NAS = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
const ISSUER = 'https://auth.example.org';
const CF_REDIRECT = 'https://myteam.cloudflareaccess.com/cdn-cgi/access/callback';
const URL_SAFE = /^[A-Za-z0-9._~-]+$/;

const cleanEnv = (extra = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEX_OIDC_'))),
  ...extra,
});

// ---------------------------------------------------------------- a setup-mode process

class SetupMode {
  // Starts `plex-oidc --port N` pointed at the fake. env(port): more
  // variables.
  static async start(fake, { env = () => ({}), expectExit = false } = {}) {
    const dir = await tempDir('plex-oidc-setup-e2e-');
    for (let attempt = 1; ; attempt++) {
      const s = new SetupMode(fake, dir, await freePort(), attempt);
      const up = await s.launch(env(s.port), expectExit);
      if (up || expectExit || attempt >= 3 || !/cannot listen on 127\.0\.0\.1/.test(s.logText())) return s;
    }
  }

  constructor(fake, dir, port, n) {
    this.fake = fake;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.logPath = runLogPath(dir, `setup-mode-${n}.log`);
    this.exit = null;
  }

  // Resolves true once /healthz answers, false if the process exits first.
  async launch(env, expectExit) {
    const fd = fs.openSync(this.logPath, 'a');
    try {
      this.child = spawn(BIN, ['--port', String(this.port)], {
        stdio: ['ignore', fd, fd],
        env: cleanEnv({ PLEX_OIDC_PLEX_API_URL: this.fake.url, PLEX_OIDC_PLEX_AUTH_URL: `${this.fake.url}/auth`, ...env }),
      });
    } finally {
      fs.closeSync(fd);
    }
    const child = this.child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exit = { code, signal };
      resolve(this.exit);
    }));
    process.once('exit', () => child.kill('SIGKILL'));
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.exit) return false;
      try {
        const r = await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.status === 200) return true;
      } catch { /* not up yet */ }
      await sleep(50);
    }
    if (expectExit) return false;
    throw new Error(`setup mode did not answer within 15 s:\n${this.logText()}`);
  }

  logText() {
    try {
      return fs.readFileSync(this.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  url(p) {
    return `${this.base}${p}`;
  }

  // The temporary data directory, from "created the key ring in DIR/keyring.json".
  dataDir() {
    const m = /created the key ring in (\S+)\/keyring\.json/.exec(this.logText());
    return m ? m[1] : null;
  }

  // SIGTERM; resolves to {code, signal, ms}, or null if still running after ms.
  async stop(ms = 8000) {
    if (this.exit) return { ...this.exit, ms: 0 };
    const t0 = Date.now();
    this.child.kill('SIGTERM');
    const r = await Promise.race([this.exited, sleep(ms).then(() => null)]);
    if (!r) {
      this.child.kill('SIGKILL');
      await this.exited;
      return null;
    }
    return { ...r, ms: Date.now() - t0 };
  }
}

const unescapeHtml = (s) => s.replace(/&(quot|amp|lt|gt|#39|#x27|#34);/g, (_, e) => ({
  quot: '"', amp: '&', lt: '<', gt: '>', '#39': "'", '#x27': "'", '#34': '"',
}[e]));

// The whole setup sign-in over HTTP, as the page would do it. Returns
// {jar, callbackUrl, callback (the response), servers (parsed data-servers)}.
async function setupLoginHttp(s, user) {
  const jar = new CookieJar();
  const begin = await request(s.url('/setup/begin'), { jar });
  assert.equal(begin.status, 302, begin.text.slice(0, 300));
  assert.ok(jar.get('plexoidc_setup_state'), 'a state cookie');
  const auth = new URL(begin.location, s.base);
  assert.equal(auth.pathname, '/authorize');
  assert.equal(auth.searchParams.get('client_id'), 'setup');
  assert.equal(auth.searchParams.get('redirect_uri'), s.url('/setup/callback'));
  const page = await request(auth, { jar });
  assert.equal(page.status, 200, page.text.slice(0, 300));
  const loginId = parseLoginId(page.text);
  assert.ok(loginId, 'the login page');
  const st = await loginStart(s, loginId, jar);
  assert.ok(st.link, `/login/start answered ${st.res.status}`);
  await s.fake.approve(st.link.code, user);
  const outcome = await waitOutcome(s, loginId, jar);
  assert.equal(outcome.state, 'done', `state ${outcome.state}`);
  const fin = await request(new URL(outcome.next, s.base), { jar });
  assert.equal(fin.status, 302);
  const callbackUrl = new URL(fin.location, s.base);
  assert.equal(`${callbackUrl.origin}${callbackUrl.pathname}`, s.url('/setup/callback'));
  recordSecret(callbackUrl.searchParams.get('code'));
  const callback = await request(callbackUrl, { jar });
  const m = /data-servers="([^"]*)"/.exec(callback.text);
  return { jar, callbackUrl, callback, servers: m ? JSON.parse(unescapeHtml(m[1]) || '[]') : null };
}

function configQuery(over = {}) {
  return new URLSearchParams({ server: SERVER_ID, issuer: ISSUER, client: 'cloudflare', redirect_uri: CF_REDIRECT,
    ...over }).toString();
}

// Reads "key = value" pairs of an INI text, per section ("section.key").
function parseIni(text) {
  const out = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s[;#].*$/, '').trim();
    let m;
    if (!line || /^[;#]/.test(line)) continue;
    if ((m = /^\[([^\]]+)\]$/.exec(line))) section = m[1];
    else if ((m = /^([a-z_]+)\s*=\s*(.*)$/.exec(line))) out[`${section}.${m[1]}`] = m[2];
  }
  return out;
}

function checkConfig(file) {
  const r = spawnSync(BIN, ['check-config', file], { env: cleanEnv(), encoding: 'utf8', timeout: 20000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// Listening sockets on port, from /proc/net/tcp{,6}: ["127.0.0.1", ...].
function listeners(port) {
  const out = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]]) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue;
      const [addr, p] = f[1].split(':');
      if (parseInt(p, 16) !== port) continue;
      if (!v6) {
        out.push([3, 2, 1, 0].map((i) => parseInt(addr.slice(i * 2, i * 2 + 2), 16)).join('.'));
      } else {
        // Four little-endian 32-bit words.
        const words = [0, 1, 2, 3].map((w) => addr.slice(w * 8, w * 8 + 8).match(/../g).reverse().join(''));
        out.push(words.join('').match(/.{4}/g).join(':'));
      }
    }
  }
  return out;
}

function connectRefused(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', (e) => resolve(e.code === 'ECONNREFUSED' ? true : e.code));
  });
}

// ---------------------------------------------------------------- tests

describe('setup mode', { concurrency: 1 }, () => {
  let fake;
  let s;
  let browser;
  let tmp;

  before(async () => {
    fake = await FakePlex.start();
    s = await SetupMode.start(fake);
    browser = await launchBrowser();
    tmp = await tempDir('plex-oidc-setup-out-');
  });

  after(async () => {
    await browser?.close();
    const d = s?.dataDir();
    await s?.stop();
    if (d && d.startsWith('/tmp/plex-oidc-setup-')) fs.rmSync(d, { recursive: true, force: true });
    await fake?.stop();
  });

  test('listens on 127.0.0.1 only, with an http://127.0.0.1 issuer, and says so', async () => {
    assert.deepEqual(listeners(s.port), ['127.0.0.1'], 'listening sockets on the port');
    assert.match(s.logText(), new RegExp(`listening on 127\\.0\\.0\\.1 port ${s.port}\\b`));
    assert.match(s.logText(), /SETUP MODE/);
    const d = await request(s.url('/.well-known/openid-configuration'));
    assert.equal(d.status, 200);
    assert.equal(d.json().issuer, s.base);
  });

  test('Chromium: sign in as alice, her server is preselected, the configuration loads', async () => {
    const context = await browser.newContext();
    const errors = [];
    context.on('page', (pg) => {
      pg.on('pageerror', (e) => errors.push(`${pg.url()}: ${e.message}`));
      pg.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${pg.url()}: ${m.text()}`);
      });
    });
    try {
      const page = await context.newPage();
      await page.goto(s.url('/'));
      assert.match(await page.title(), /set ?up/i);
      assert.match(await page.textContent('h1'), /Set up plex-oidc/);
      assert.match(await page.textContent('body'), /127\.0\.0\.1/);
      assert.match(await page.textContent('#setup-signin'), /Sign in with Plex/);

      await page.click('#setup-signin');
      await page.waitForSelector('#signin');
      assert.equal(new URL(page.url()).pathname, '/authorize');
      const popupPromise = page.waitForEvent('popup');
      await page.click('#signin');
      const popup = await popupPromise;
      await popup.waitForSelector('#as-alice');
      assert.ok(popup.url().startsWith(`${fake.url}/auth#?`), `popup at ${popup.url()}`);
      await popup.click('#as-alice');
      await page.waitForURL((u) => u.pathname === '/setup/callback', { timeout: 30000 });
      const cb = new URL(page.url());
      recordSecret(cb.searchParams.get('code'), cb.searchParams.get('state'));
      recordSecret((await context.cookies(s.base)).filter((c) => c.name.startsWith('plexoidc_')).map((c) => c.value));

      await page.waitForSelector('#servers input[type=radio]');
      assert.match(await page.textContent('.lead'), /Alice Liddell/);
      const radios = await page.$$eval('#servers input[type=radio]',
        (els) => els.map((e) => ({ value: e.value, checked: e.checked, label: e.parentElement.textContent })));
      assert.deepEqual(radios.map((r) => r.value), [SERVER_ID], 'only the server alice owns (not her players)');
      assert.equal(radios[0].checked, true, 'preselected');
      assert.match(radios[0].label, /Alice's Server/);
      assert.equal(await page.inputValue('#server-id'), SERVER_ID, 'the server id is filled in');
      assert.equal(await page.isVisible('#no-servers'), false);

      await page.fill('input[name=issuer]', ISSUER);
      await page.fill('input[name=client]', 'cloudflare');
      await page.fill('input[name=redirect_uri]', CF_REDIRECT);
      await page.click('button[type=submit]');
      await page.waitForURL((u) => u.pathname === '/setup/config', { timeout: 15000 });
      await page.waitForSelector('#config-text');
      const text = await page.textContent('#config-text');
      const v = {};
      for (const id of ['v-client', 'v-secret', 'v-auth', 'v-token', 'v-jwks']) v[id] = (await page.textContent(`#${id}`)).trim();
      recordSecret(v['v-secret']);

      // The configuration loads.
      const file = path.join(tmp, 'generated.ini');
      fs.writeFileSync(file, text, { mode: 0o600 });
      const check = checkConfig(file);
      assert.equal(check.status, 0, `check-config:\n${check.out}\n---\n${text}`);
      assert.match(check.out, /OK \(1 client\)/);

      const ini = parseIni(text);
      assert.equal(ini['server.issuer'], ISSUER);
      assert.equal(ini['plex.server_id'], SERVER_ID);
      // Behind a proxy on the same machine: that proxy is trusted, so each
      // user keeps their own address (rate limits, connection caps).
      assert.equal(ini['server.listen'], '127.0.0.1:8080');
      assert.equal(ini['server.trusted_proxies'], '127.0.0.1 ::1');
      assert.match(text, /; The reverse proxy runs on this machine: believe the client address it\n/);
      // The owner's id is written, so the look-alike check is on.
      assert.equal(ini['plex.owner_id'], '22526914');
      assert.doesNotMatch(check.out, /warning/);
      assert.equal(ini['client.cloudflare.redirect_uris'], CF_REDIRECT);
      const secret = ini['client.cloudflare.secret'];
      assert.ok(secret, `a [client.cloudflare] secret:\n${text}`);
      recordSecret(secret);
      assert.ok(secret.length >= 32, `secret of ${secret.length} characters`);
      assert.match(secret, URL_SAFE);
      assert.equal(v['v-secret'], secret, 'the secret shown for Cloudflare is the one in the file');
      assert.equal(v['v-client'], 'cloudflare');
      assert.equal(v['v-auth'], `${ISSUER}/authorize`);
      assert.equal(v['v-token'], `${ISSUER}/token`);
      assert.equal(v['v-jwks'], `${ISSUER}/jwks`);

      // The same values again get another secret.
      await page.reload();
      await page.waitForSelector('#v-secret');
      const again = (await page.textContent('#v-secret')).trim();
      recordSecret(again);
      assert.notEqual(again, secret, 'each configuration has a fresh secret');
      assert.deepEqual(errors.filter((e) => e.startsWith(s.base)), [], 'no script errors or CSP violations');
    } finally {
      await context.close();
    }
    assert.ok(!s.logText().includes(fs.readFileSync(path.join(tmp, 'generated.ini'), 'utf8').match(/secret\s*=\s*(\S+)/)[1]),
      'the generated secret is not logged');
  });

  test('Chromium: nora, who owns no server, is asked to enter it by hand', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(s.url('/'));
      await page.click('#setup-signin');
      await page.waitForSelector('#signin');
      const popupPromise = page.waitForEvent('popup');
      await page.click('#signin');
      const popup = await popupPromise;
      await popup.waitForSelector('#as-nora');
      await popup.click('#as-nora');
      await page.waitForURL((u) => u.pathname === '/setup/callback', { timeout: 30000 });
      recordSecret(new URL(page.url()).searchParams.get('code'));
      recordSecret((await context.cookies(s.base)).filter((c) => c.name.startsWith('plexoidc_')).map((c) => c.value));
      await page.waitForSelector('#no-servers', { state: 'visible', timeout: 10000 });
      assert.match(await page.textContent('#no-servers'), /owns no server.*machine identifier/s);
      assert.equal((await page.$$('#servers input[type=radio]')).length, 0, "no server listed (not Zed's share)");
      assert.equal(await page.inputValue('#server-id'), '');
      assert.match(await page.textContent('.lead'), /Nora Barnacle/);
    } finally {
      await context.close();
    }
  });

  test('servers the account does not own are not listed (hank: his NAS, not the server shared with him)', async () => {
    const hank = await setupLoginHttp(s, 'hank');
    assert.equal(hank.callback.status, 200);
    assert.deepEqual(hank.servers.map((x) => x.id), [HANK_NAS]);
    assert.equal(hank.servers[0].name, 'hank-nas');
    const fred = await setupLoginHttp(s, 'fred');
    assert.deepEqual(fred.servers, [], 'fred only has shares');
  });

  test('the callback is single-use and bound to the state cookie', async () => {
    const a = await setupLoginHttp(s, 'alice');
    assert.deepEqual(a.servers.map((x) => x.id), [SERVER_ID]);
    const replay = await request(a.callbackUrl, { jar: a.jar });
    assert.equal(replay.status, 400, 'the same code again');
    assert.doesNotMatch(replay.text, /data-servers="\[\{/);
    // Another browser (no state cookie) with a fresh code.
    const b = await (async () => {
      const jar = new CookieJar();
      const begin = await request(s.url('/setup/begin'), { jar });
      const page = await request(new URL(begin.location, s.base), { jar });
      const loginId = parseLoginId(page.text);
      const st = await loginStart(s, loginId, jar);
      await fake.approve(st.link.code, 'alice');
      const outcome = await waitOutcome(s, loginId, jar);
      const fin = await request(new URL(outcome.next, s.base), { jar });
      return new URL(fin.location, s.base);
    })();
    recordSecret(b.searchParams.get('code'));
    const stranger = await request(b, { jar: new CookieJar() });
    assert.equal(stranger.status, 400, 'no state cookie');
    const forged = new URL(b);
    forged.searchParams.set('state', 'x'.repeat(43));
    const jar = new CookieJar();
    jar.cookies.set('plexoidc_setup_state', 'y'.repeat(43));
    assert.equal((await request(forged, { jar })).status, 400, 'state and cookie differ');
  });

  test('/setup/config: good values give 200; bad ones the 400 page', async () => {
    const ok = await request(s.url(`/setup/config?${configQuery()}`));
    assert.equal(ok.status, 200);
    assert.match(ok.text, /id="config-text"/);
    recordSecret(/id="v-secret">([^<]+)</.exec(ok.text)?.[1]);
    const bad = {
      'http issuer': { issuer: 'http://auth.example.org' },
      'issuer with a trailing slash': { issuer: 'https://auth.example.org/' },
      'issuer with a query': { issuer: 'https://auth.example.org?x=1' },
      'client id with spaces': { client: 'my app' },
      'client id too long': { client: 'a'.repeat(65) },
      'server id with spaces': { server: 'my server' },
      'http redirect URI': { redirect_uri: 'http://myteam.cloudflareaccess.com/cdn-cgi/access/callback' },
      'redirect URI with a fragment': { redirect_uri: `${CF_REDIRECT}#x` },
      'empty issuer': { issuer: '' },
    };
    for (const [what, over] of Object.entries(bad)) {
      const r = await request(s.url(`/setup/config?${configQuery(over)}`));
      assert.equal(r.status, 400, `${what}: HTTP ${r.status}`);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
      assert.doesNotMatch(r.text, /id="config-text"/, what);
      assert.match(r.text, /Check the values/, what);
    }
    const missing = await request(s.url(`/setup/config?server=${SERVER_ID}&issuer=${encodeURIComponent(ISSUER)}`));
    assert.equal(missing.status, 400, 'client and redirect_uri missing');
  });

  test('SIGTERM: exits 0, the port closes and the temporary data directory is removed', async () => {
    const dir = s.dataDir();
    assert.ok(dir, `no "signing key: created" line:\n${s.logText()}`);
    assert.ok(fs.statSync(dir).isDirectory(), `${dir} exists while running`);
    assert.equal(fs.statSync(dir).mode & 0o077, 0, 'private to its owner');
    const r = await s.stop();
    assert.ok(r, 'still running 8 s after SIGTERM');
    assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null });
    assert.equal(fs.existsSync(dir), false, `${dir} is left behind`);
    assert.doesNotMatch(s.logText(), /AddressSanitizer|LeakSanitizer|runtime error:/);
    assert.equal(await connectRefused(s.port), true, 'the port is closed');
  });
});

describe('setup mode, other starts', () => {
  let fake;
  before(async () => {
    fake = await FakePlex.start();
  });
  after(async () => {
    await fake?.stop();
  });

  test('PLEX_OIDC_SERVER_LISTEN cannot move setup mode off 127.0.0.1', async () => {
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: a provider
    // that honours the variable fails to bind it, and nothing is exposed.
    const s = await SetupMode.start(fake, {
      env: (port) => ({ PLEX_OIDC_SERVER_LISTEN: `192.0.2.1:${port}` }), expectExit: true,
    });
    try {
      const log = s.logText();
      assert.doesNotMatch(log, /listen(ing)? on (?!127\.0\.0\.1 )\S+ port/, `setup mode tried another address:\n${log}`);
      if (!s.exit) assert.deepEqual(listeners(s.port), ['127.0.0.1']);
    } finally {
      const d = s.dataDir();
      await s.stop();
      if (d && d.startsWith('/tmp/plex-oidc-setup-')) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('a normal configuration has no setup routes', () => {
  let stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  test('/setup/begin, /setup/callback, /setup/config are 404; / is not the setup page', async () => {
    const p = stack.provider;
    for (const path1 of ['/setup/begin', '/setup/callback?code=x&state=y', `/setup/config?${configQuery()}`, '/setup/']) {
      const r = await request(p.url(path1));
      assert.equal(r.status, 404, `${path1}: HTTP ${r.status}`);
      assert.equal(r.headers.get('set-cookie'), null, path1);
    }
    const home = await request(p.url('/'));
    assert.equal(home.status, 200);
    assert.doesNotMatch(home.text, /setup-signin|Set up plex-oidc/);
  });
});

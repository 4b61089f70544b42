// harness.mjs - the black-box test harness for plex-oidc.
//
// Starts the real binary (PLEX_OIDC_BIN, default build/plex-oidc) against the
// fake plex.tv (tests/fake-plex/fake-plex.mjs), each on a random port of
// 127.0.0.1 with its own temporary directory, and drives sign-ins two ways:
//
//   - loginHttp(): fetch with a hand-kept cookie jar, the way the login page
//     would (authorize -> /login/start -> approve at the fake -> poll
//     /login/status -> follow "next"), for fast protocol tests;
//   - launchBrowser() + startRpServer(): Debian's Chromium through
//     playwright-core, with a tiny relying-party callback server, for the
//     real page (popup and full-page redirect).
//
// Every child process is killed when the test process exits, and the
// provider's stderr goes to a file so tests can check what it logged.
// Nothing here talks to anything but 127.0.0.1.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export { sleep };

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.resolve(process.env.PLEX_OIDC_BIN || path.join(REPO, 'build/plex-oidc'));
export const FAKE_PLEX = path.join(REPO, 'tests/fake-plex/fake-plex.mjs');
export const CHROMIUM = process.env.PLEX_OIDC_CHROMIUM || '/usr/bin/chromium';
export const SERVER_ID = '0123456789abcdef0123456789abcdef01234567';
const KEEP = process.env.PLEX_OIDC_E2E_KEEP === '1';

// The fake's preset users (tests/fake-plex/fake-plex.mjs).
export const USERS = {
  alice: { uuid: 'dae343c1f45beb4f', username: 'alice', name: 'Alice Liddell', email: 'alice@example.com' },
  hank: { uuid: '4f1a2b3c5d6e7f80', username: 'hank', name: 'Hank Pym', email: 'hank@example.net' },
  fred: { uuid: '8e0c6f1d2b3a4c59', username: 'fred.w', name: 'Fred Weasley', email: 'fred@example.org' },
  mia: { uuid: 'b3c4d5e6f7a80912', username: '', name: 'Mia', email: null },
  nora: { uuid: 'c0ffee0ddba11f00', username: 'nora', name: 'Nora Barnacle', email: 'nora@example.com' },
  pete: { uuid: '5e7e1ab2c3d4e5f6', username: 'pete', name: 'Pete Townshend', email: 'pete@example.com' },
  olive: { uuid: '01d0ff1ce0112233', username: 'olive', name: 'Olive Oyl', email: 'olive@example.com' },
  mallory: { uuid: '0bad0bad0bad0bad', username: 'mallory', name: 'Mallory', email: 'mallory@example.net' },
};

// ---------------------------------------------------------------- processes

const children = new Set();
const tempDirs = new Set();

process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch { /* already gone */ }
  }
  if (!KEEP) {
    for (const d of tempDirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch { /* best effort */ }
    }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => process.exit(130));
}

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

// Sends SIGTERM, then SIGKILL after graceMs. Resolves to {code, signal}.
async function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const done = exited(child);
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const r = await done;
  clearTimeout(t);
  return r;
}

export async function tempDir(prefix = 'plex-oidc-e2e-') {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

// A port that was free a moment ago (bind :0, close). The provider's issuer
// must name its port, so it is chosen before the provider starts.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let keyPem;
// One RSA-2048 key (PKCS#8 PEM) per test process, for seeded data dirs.
export function testKeyPem() {
  keyPem ??= crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    .export({ type: 'pkcs8', format: 'pem' });
  return keyPem;
}

export const randomSecret = () => crypto.randomBytes(33).toString('base64url') + '-._~';

// ---------------------------------------------------------------- plain HTTP

let browsers = 0;

// A cookie jar for one "browser": name -> value, from Set-Cookie headers.
// Each browser also has its own client address, sent as X-Forwarded-For
// (the test provider trusts 127.0.0.1 as its reverse proxy), so that the
// provider's per-client rate limits see one user per browser, as they
// would in real use, rather than the whole suite as one client. The
// address is only a header value (IPv6 documentation prefix): nothing is
// ever sent to it.
export class CookieJar {
  constructor() {
    this.cookies = new Map();
    this.raw = [];
    browsers++;
    this.ip = `2001:db8::${process.pid.toString(16)}:${browsers.toString(16)}`;
  }

  update(res) {
    const list = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [];
    for (const line of list) {
      this.raw.push(line);
      const first = line.split(';')[0];
      const eq = first.indexOf('=');
      if (eq > 0) this.cookies.set(first.slice(0, eq).trim(), first.slice(eq + 1).trim());
      if (/^\s*plexoidc_(bid|setup_state)=/.test(first)) recordSecret(first.slice(eq + 1).trim());
    }
  }

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(name) {
    return this.cookies.get(name);
  }
}

// fetch without following redirects; reads the whole body. Returns
// {status, headers, text, location, json()}.
export async function request(url, { method = 'GET', headers = {}, body, jar, timeoutMs = 20000 } = {}) {
  const h = new Headers(headers);
  if (jar && jar.cookies.size) h.set('cookie', jar.header());
  if (jar && !h.has('x-forwarded-for')) h.set('x-forwarded-for', jar.ip);
  if (body instanceof URLSearchParams) {
    if (!h.has('content-type')) h.set('content-type', 'application/x-www-form-urlencoded');
    body = body.toString();
  }
  const res = await fetch(url, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  if (jar) jar.update(res);
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    location: res.headers.get('location'),
    json() {
      return JSON.parse(text);
    },
  };
}

export const form = (obj) => new URLSearchParams(obj);
export const basicAuth = (id, secret) =>
  'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');

// ---------------------------------------------------------------- fake plex.tv

export class FakePlex {
  static async start({ serverId = SERVER_ID } = {}) {
    const child = track(spawn(process.execPath, [FAKE_PLEX, '--port', '0', '--server-id', serverId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }));
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const rl = readline.createInterface({ input: child.stdout });
    const line = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`fake plex did not start: ${stderr}`)), 10000);
      rl.once('line', (l) => { clearTimeout(t); resolve(l); });
      child.once('exit', (code) => { clearTimeout(t); reject(new Error(`fake plex exited ${code}: ${stderr}`)); });
    });
    rl.close();
    child.stdout.resume();
    const { port } = JSON.parse(line);
    return new FakePlex(child, port);
  }

  constructor(child, port) {
    this.child = child;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
  }

  async control(what, body) {
    const res = await request(`${this.url}/__fake/${what}`, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return { status: res.status, body: res.text ? res.json() : null };
  }

  async approve(code, user) {
    const r = await this.control('approve', { code, user });
    if (r.status !== 200) throw new Error(`fake approve ${user}: ${r.status} ${JSON.stringify(r.body)}`);
    recordSecret(r.body?.pin?.authToken);
    return r.body;
  }

  async expire(code) {
    const r = await this.control('expire', { code });
    if (r.status !== 200) throw new Error(`fake expire: ${r.status} ${JSON.stringify(r.body)}`);
  }

  // endpoint: pins.create | pins.get | user | resources | any; extra:
  // {retry_after, location} (tests/fake-plex/README.md).
  async fault(endpoint, mode, times, extra = {}) {
    const r = await this.control('fault', { endpoint, mode, ...(times === undefined ? {} : { times }), ...extra });
    if (r.status !== 200) throw new Error(`fake fault: ${r.status} ${JSON.stringify(r.body)}`);
  }

  async unshare(user) {
    const r = await this.control('unshare', { user });
    if (r.status !== 200) throw new Error(`fake unshare: ${r.status}`);
  }

  async share(user) {
    const r = await this.control('share', { user });
    if (r.status !== 200) throw new Error(`fake share: ${r.status}`);
  }

  async revoke(user) {
    const r = await this.control('revoke', { user });
    if (r.status !== 200) throw new Error(`fake revoke: ${r.status}`);
  }

  async reset() {
    const r = await this.control('reset', {});
    if (r.status !== 200) throw new Error(`fake reset: ${r.status}`);
  }

  async log() {
    return (await this.control('log')).body;
  }

  async pins() {
    return (await this.control('pins')).body;
  }

  async users() {
    return (await this.control('users')).body;
  }

  async stop() {
    // Every Plex token this fake handed out, including those of sign-ins
    // a browser approved on the fake's page.
    if (RUN_DIR && this.child.exitCode === null && this.child.signalCode === null) {
      try {
        recordSecret((await this.users()).map((u) => u.token), (await this.pins()).map((x) => x.authToken));
      } catch { /* best effort */ }
    }
    await stopChild(this.child);
  }
}

// ---------------------------------------------------------------- limits

// The numeric LIM_* constants of src/po_limits.h, so tests derive their
// bounds from the code's own limits.
export function readLimits() {
  const text = fs.readFileSync(path.join(REPO, 'src/po_limits.h'), 'utf8');
  const lim = {};
  for (const m of text.matchAll(/^#define\s+(LIM_\w+)\s+(.+?)\s*$/gm)) {
    const expr = m[2].replace(/\/\*.*$/, '').trim();
    if (/^[\d\s*+()]+$/.test(expr)) lim[m[1]] = Function(`"use strict"; return (${expr});`)();
  }
  return lim;
}

// ---------------------------------------------------------------- the provider

// clients: {id: {secret, redirect_uris: [..], name?, extra?}}; issuer: the
// public URL when it is not the listen address (replicas behind a proxy);
// store: the [store] section's keys ({url, password_file, prefix...}), if
// any; server: extra [server] lines ('access_recheck = 10s'); a client may
// carry extra lines of its own (c.extra); sections: lines at the end
// ('[group.family]', 'users = hank').
export function writeConfig(file, { port, dataDir, fake, clients, serverId = SERVER_ID, logLevel = 'debug',
  ownerId, issuer, store, server = [], sections = [] }) {
  const lines = [
    '# written by tests/e2e/lib/harness.mjs',
    '[server]',
    `listen = 127.0.0.1:${port}`,
    `issuer = ${issuer ?? `http://127.0.0.1:${port}`}`,
    `data_dir = ${dataDir}`,
    `log_level = ${logLevel}`,
    // The harness plays a reverse proxy: see CookieJar.
    'trusted_proxies = 127.0.0.1',
    ...server,
    '',
    '[plex]',
    `server_id = ${serverId}`,
    ...(ownerId ? [`owner_id = ${ownerId}`] : []),
    `api_url = ${fake.url}`,
    `auth_url = ${fake.url}/auth`,
    '',
  ];
  if (store) lines.push('[store]', ...Object.entries(store).map(([k, v]) => `${k} = ${v}`), '');
  for (const [id, c] of Object.entries(clients)) {
    recordSecret(c.secret);
    // c.secretHash: the secret as secret_hash (the relying party still
    // sends c.secret); no secret at all: a public client (c.extra says so).
    lines.push(`[client.${id}]`);
    if (c.secretHash) lines.push(`secret_hash = ${c.secretHash}`);
    else if (c.secret) lines.push(`secret = ${c.secret}`);
    lines.push(`redirect_uris = ${c.redirect_uris.join(' ')}`);
    if (c.name) lines.push(`name = ${c.name}`);
    if (c.extra) lines.push(...c.extra);
    lines.push('');
  }
  lines.push(...sections, '');
  fs.writeFileSync(file, lines.join('\n'), { mode: 0o600 });
}

// The clients most tests use: "app" (two redirect URIs) and "other" (the
// same first redirect URI, another secret) to check that codes are bound to
// their client.
export function defaultClients(rpBase = 'http://127.0.0.1:9') {
  return {
    app: { secret: randomSecret(), redirect_uris: [`${rpBase}/cb`, `${rpBase}/cb2`], name: 'Test App' },
    other: { secret: randomSecret(), redirect_uris: [`${rpBase}/cb`] },
  };
}

// See Provider.stop().
const PROVIDER_STOP_GRACE_MS = 20000;
const SANITIZER_MARKERS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:'];

export class Provider {
  // opts: {fake, clients, dataDir?, port?, serverId?}
  static async start(opts) {
    const p = new Provider(opts);
    await p.init();
    for (let attempt = 1; ; attempt++) {
      try {
        await p.launch();
        return p;
      } catch (e) {
        // freePort() is racy: another process may take the port before the
        // provider binds it. Then pick another one (the issuer names it).
        if (opts.port || opts.configPath || attempt >= 3 || !/cannot listen/.test(p.logText())) throw e;
        p.port = await freePort();
        p.direct = `http://127.0.0.1:${p.port}`;
        p.base = p.issuer ?? p.direct;
        p.writeConfig();
        fs.writeFileSync(p.logPath, '');
      }
    }
  }

  // seedKey: put a ready-made signing key in a new data_dir, so the
  // provider does not spend seconds generating one at every start (the
  // restart tests turn it off to see the provider create its own).
  // spawnPrefix: a command the binary is run through, e.g. ['prlimit',
  // '--nofile=8192:8192', '--'] (it must exec the binary, keeping the pid).
  // issuer, store, server, sections: see writeConfig(). configPath: run this existing
  // configuration file instead of writing one (replicas sharing one file);
  // env: extra environment (PLEX_OIDC_SERVER_LISTEN for such a replica).
  constructor({ fake, clients = defaultClients(), dataDir, port, serverId = SERVER_ID, logLevel = 'debug', ownerId,
    seedKey = true, spawnPrefix = [], server = [], sections = [], issuer, store, configPath, env = {} }) {
    this.fake = fake;
    this.server = server;
    this.sections = sections;
    this.spawnPrefix = spawnPrefix;
    this.issuer = issuer;
    this.store = store;
    this.sharedConfig = configPath;
    this.extraEnv = env;
    this.seedKey = seedKey;
    this.clients = clients;
    this.dataDir = dataDir;
    this.port = port;
    this.serverId = serverId;
    this.ownerId = ownerId;
    this.logLevel = logLevel;
    this.exits = [];
  }

  async init() {
    this.dir = await tempDir();
    if (!this.dataDir) {
      this.dataDir = path.join(this.dir, 'data'); // created by the provider unless seeded
      if (this.seedKey) {
        fs.mkdirSync(this.dataDir, { mode: 0o700 });
        fs.writeFileSync(path.join(this.dataDir, 'signing-key.pem'), testKeyPem(), { mode: 0o600 });
      }
    }
    if (!this.port) this.port = await freePort();
    // base: where clients reach it (the issuer); direct: its own socket.
    this.direct = `http://127.0.0.1:${this.port}`;
    this.base = this.issuer ?? this.direct;
    this.configPath = this.sharedConfig ?? path.join(this.dir, 'plex-oidc.ini');
    this.logPath = runLogPath(this.dir, 'provider.log');
    if (!this.sharedConfig) this.writeConfig();
  }

  writeConfig() {
    writeConfig(this.configPath, {
      port: this.port, dataDir: this.dataDir, fake: this.fake, clients: this.clients, serverId: this.serverId,
      ownerId: this.ownerId,
      logLevel: this.logLevel,
      server: this.server,
      sections: this.sections,
      issuer: this.issuer,
      store: this.store,
    });
  }

  async launch() {
    if (!fs.existsSync(BIN)) throw new Error(`no provider binary at ${BIN} (build it with make, or set PLEX_OIDC_BIN)`);
    const fd = fs.openSync(this.logPath, 'a');
    try {
      // PLEX_OIDC_<SECTION>_<KEY> variables override the config file: keep
      // the caller's out, so the config written here is the whole story.
      const env = {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEX_OIDC_'))),
        ...this.extraEnv,
      };
      const [cmd, ...args] = [...this.spawnPrefix, BIN, '--config', this.configPath];
      this.child = track(spawn(cmd, args, { stdio: ['ignore', fd, fd], env }));
    } finally {
      fs.closeSync(fd);
    }
    const child = this.child;
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`plex-oidc exited (${child.exitCode ?? child.signalCode}) at start:\n${this.logText()}`);
      }
      try {
        const r = await fetch(`${this.direct}/healthz`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch { /* not up yet */ }
      await sleep(50);
    }
    throw new Error(`plex-oidc did not answer /healthz within 15 s:\n${this.logText()}`);
  }

  // SIGTERM; resolves to {code, signal}.
  //
  // STRICT STOP (the one place this is checked): every provider a test
  // starts must end by SIGTERM's graceful path and leave a clean log, so a
  // crash, a hang at shutdown or a sanitizer report fails the test that
  // owned the provider (its after() hook) instead of passing unseen. stop()
  // throws, after recording the exit in this.exits, when
  //   - the provider had already exited before stop() sent SIGTERM,
  //   - it did not exit with status 0 (LeakSanitizer's exit status is 23,
  //     a crash is a signal, SIGKILL means it did not stop within the grace
  //     period),
  //   - its log contains "AddressSanitizer", "LeakSanitizer" or "runtime
  //     error:" (UndefinedBehaviorSanitizer) text.
  // The grace period covers LIM_HTTP_DRAIN_MS (5 s, src/po_limits.h) plus
  // LeakSanitizer's scan at exit in a `make SAN=1` build.
  async stop() {
    if (!this.child) return null;
    const child = this.child;
    const wasRunning = child.exitCode === null && child.signalCode === null;
    const r = await stopChild(child, PROVIDER_STOP_GRACE_MS);
    this.exits.push(r);
    this.child = null;
    const problems = [];
    if (!wasRunning) problems.push(`it had already exited (${JSON.stringify(r)}) before SIGTERM`);
    else if (r.code !== 0 || r.signal !== null) problems.push(`SIGTERM did not end it cleanly: ${JSON.stringify(r)}`);
    const log = this.logText();
    const found = SANITIZER_MARKERS.filter((m) => log.includes(m));
    if (found.length) problems.push(`its log has sanitizer reports (${found.join(', ')})`);
    if (problems.length) {
      const tail = log.split('\n').slice(-60).join('\n');
      throw new Error(`plex-oidc (${this.logPath}): ${problems.join('; ')}\n--- log tail ---\n${tail}`);
    }
    return r;
  }

  async restart() {
    await this.stop();
    await this.launch();
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

  client(id = 'app') {
    return { id, ...this.clients[id] };
  }
}

// A fake plex.tv and a provider wired to it; stop() ends both.
export async function startStack(opts = {}) {
  const fake = await FakePlex.start({ serverId: opts.serverId });
  let provider;
  try {
    provider = await Provider.start({ ...opts, fake });
  } catch (e) {
    await fake.stop();
    throw e;
  }
  return {
    fake,
    provider,
    async stop() {
      try {
        await provider.stop(); // throws on an unclean exit (see Provider.stop)
      } finally {
        await fake.stop();
      }
    },
  };
}

// ---------------------------------------------------------------- PKCE and requests

export function pkcePair() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

// The parameters of an authorization request, with fresh state, nonce and
// S256 PKCE unless told otherwise. overrides: values to set; a value of
// null removes the parameter.
export function authRequest(provider, { client = 'app', redirectUri, scope = 'openid profile email', pkce = true,
  nonce = true, overrides = {} } = {}) {
  const c = provider.client(client);
  const p = pkcePair();
  const params = {
    client_id: c.id,
    redirect_uri: redirectUri || c.redirect_uris[0],
    response_type: 'code',
    scope,
    state: crypto.randomBytes(12).toString('base64url'),
  };
  if (nonce) params.nonce = crypto.randomBytes(12).toString('base64url');
  if (pkce) {
    params.code_challenge = p.challenge;
    params.code_challenge_method = 'S256';
  }
  for (const [k, v] of Object.entries(overrides)) {
    if (v === null) delete params[k];
    else params[k] = v;
  }
  return { params, verifier: pkce ? p.verifier : undefined, client: c };
}

// ---------------------------------------------------------------- the HTTP login driver

export function parseLoginId(html) {
  const m = /data-login-id="([^"]*)"/.exec(html);
  return m ? m[1] : null;
}

// Plex's sign-in link carries its parameters in the fragment: #?a=..&b=..
export function parsePlexAuthLink(location) {
  const u = new URL(location);
  const frag = u.hash.replace(/^#\??/, '');
  const q = new URLSearchParams(frag);
  return {
    url: u,
    origin: u.origin,
    pathname: u.pathname,
    clientID: q.get('clientID'),
    code: q.get('code'),
    product: q.get('context[device][product]'),
    forwardUrl: q.get('forwardUrl'),
    query: u.search,
  };
}

// The pieces of an authorization response (or error redirect) Location.
export function parseRedirect(location) {
  const u = new URL(location);
  return { url: u, base: `${u.origin}${u.pathname}`, params: Object.fromEntries(u.searchParams), all: u.searchParams };
}

// GET (or POST) /authorize. Returns {res, loginId}.
export async function authorize(provider, params, { jar = new CookieJar(), method = 'GET' } = {}) {
  let res;
  if (method === 'POST') {
    res = await request(provider.url('/authorize'), { method: 'POST', body: form(params), jar });
  } else {
    const u = new URL(provider.url('/authorize'));
    for (const [k, v] of Object.entries(params)) {
      if (Array.isArray(v)) v.forEach((x) => u.searchParams.append(k, x));
      else u.searchParams.set(k, v);
    }
    res = await request(u, { jar });
  }
  return { res, loginId: res.status === 200 ? parseLoginId(res.text) : null, jar };
}

// GET /login/start; expects the 302 to Plex's sign-in app. Returns
// {res, link} with link from parsePlexAuthLink.
export async function loginStart(provider, loginId, jar, { mode, timeoutMs = 20000 } = {}) {
  const q = new URLSearchParams({ l: loginId });
  if (mode) q.set('mode', mode);
  const res = await request(provider.url(`/login/start?${q}`), { jar, timeoutMs });
  return { res, link: res.status === 302 && res.location ? parsePlexAuthLink(res.location) : null };
}

export async function loginStatus(provider, loginId, jar) {
  const res = await request(provider.url(`/login/status?l=${encodeURIComponent(loginId)}`), {
    jar, headers: { accept: 'application/json' },
  });
  return { res, body: res.status === 200 ? res.json() : null };
}

// Polls /login/status (as the page does, every intervalMs) until the state
// is neither idle nor waiting. Returns {state, next, polls}.
export async function waitOutcome(provider, loginId, jar, { timeoutMs = 30000, intervalMs = 250 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    const { res, body } = await loginStatus(provider, loginId, jar);
    polls++;
    if (res.status !== 200) throw new Error(`/login/status answered ${res.status}: ${res.text}`);
    if (body.state !== 'idle' && body.state !== 'waiting') return { ...body, polls };
    if (Date.now() > deadline) throw new Error(`login still ${body.state} after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

// The whole sign-in over HTTP. Options: user (the fake user who approves;
// null to not approve), request (from authRequest), jar, method, mode,
// beforeApprove(ctx) and afterStart(ctx) hooks, timeoutMs.
// Returns {request, jar, loginId, link, outcome, final, redirect} where
// final is the response to GET outcome.next, and redirect (when final is a
// 302) the parsed Location.
export async function loginHttp(provider, { user = 'alice', request: req, jar = new CookieJar(), method = 'GET',
  mode, afterStart, timeoutMs = 30000 } = {}) {
  const ctx = { request: req || authRequest(provider), jar };
  const a = await authorize(provider, ctx.request.params, { jar, method });
  ctx.authorize = a.res;
  if (a.res.status !== 200 || !a.loginId) {
    throw new Error(`/authorize answered ${a.res.status} ${a.res.location || ''}: ${a.res.text.slice(0, 300)}`);
  }
  ctx.loginId = a.loginId;
  const s = await loginStart(provider, ctx.loginId, jar, { mode });
  ctx.start = s.res;
  ctx.link = s.link;
  if (afterStart) await afterStart(ctx);
  if (!s.link) {
    // No PIN (Plex failed): the page would poll and then show the outcome.
    ctx.outcome = await waitOutcome(provider, ctx.loginId, jar, { timeoutMs });
  } else {
    if (user) await provider.fake.approve(s.link.code, user);
    ctx.outcome = await waitOutcome(provider, ctx.loginId, jar, { timeoutMs });
  }
  if (ctx.outcome.next) {
    ctx.final = await request(new URL(ctx.outcome.next, provider.base), { jar });
    if (ctx.final.status === 302 && ctx.final.location) ctx.redirect = parseRedirect(ctx.final.location);
    recordSecret(ctx.redirect?.params.code);
  }
  return ctx;
}

// A sign-in that must end with a code: returns the loginHttp context plus
// code, state, iss and callbackUrl (the full redirect URL).
export async function loginForCode(provider, opts = {}) {
  const ctx = await loginHttp(provider, opts);
  if (ctx.outcome.state !== 'done' || !ctx.redirect || !ctx.redirect.params.code) {
    throw new Error(`expected a code, got state ${ctx.outcome.state}, HTTP ${ctx.final?.status}: ` +
      `${ctx.final?.location || ctx.final?.text?.slice(0, 400)}`);
  }
  return { ...ctx, code: ctx.redirect.params.code, callbackUrl: ctx.final.location };
}

// Exchanges a code by hand. auth: 'basic' | 'post' | 'none'.
export async function tokenRequest(provider, { client = 'app', secret, code, redirectUri, verifier, auth = 'basic',
  extra = {} } = {}) {
  const c = provider.client(client);
  const body = { grant_type: 'authorization_code', code, redirect_uri: redirectUri || c.redirect_uris[0] };
  if (verifier !== undefined) body.code_verifier = verifier;
  const headers = {};
  const s = secret ?? c.secret;
  if (auth === 'basic') headers.authorization = basicAuth(c.id, s);
  else if (auth === 'post') Object.assign(body, { client_id: c.id, client_secret: s });
  Object.assign(body, extra);
  for (const [k, v] of Object.entries(body)) if (v === null) delete body[k];
  recordSecret(body.code, body.code_verifier, body.refresh_token);
  const res = await request(provider.url('/token'), { method: 'POST', headers, body: form(body) });
  recordTokenResponse(res.text);
  return res;
}

// ---------------------------------------------------------------- openid-client as the relying party

let oidc;
async function openidClient() {
  oidc ??= await import('openid-client');
  return oidc;
}

// A relying-party configuration from discovery. auth: 'basic' | 'post' |
// 'none' (a public client). ID token signatures are checked
// (enableNonRepudiationChecks); plain http is allowed for 127.0.0.1.
export async function relyingParty(provider, { client = 'app', auth = 'basic', secret } = {}) {
  const o = await openidClient();
  const c = provider.client(client);
  const s = secret ?? c.secret;
  const methods = {
    basic: ['client_secret_basic', () => o.ClientSecretBasic(s)],
    post: ['client_secret_post', () => o.ClientSecretPost(s)],
    none: ['none', () => o.None()],
  };
  const [name, make] = methods[auth];
  const config = await o.discovery(new URL(provider.base), c.id, {
    redirect_uris: c.redirect_uris,
    token_endpoint_auth_method: name,
  }, make(), {
    execute: [o.allowInsecureRequests, o.enableNonRepudiationChecks],
  });
  return { o, config, client: c };
}

// Redeems a callback URL with openid-client: validates state, iss, nonce,
// the ID token (signature, iss, aud, exp, iat) and PKCE. Returns the
// tokens and the validated claims.
export async function redeem(rp, callbackUrl, request) {
  const { o, config } = rp;
  const tokens = await o.authorizationCodeGrant(config, new URL(callbackUrl), {
    pkceCodeVerifier: request.verifier,
    expectedState: request.params.state,
    expectedNonce: request.params.nonce,
    idTokenExpected: true,
  });
  recordSecret(new URL(callbackUrl).searchParams.get('code'), request.verifier);
  recordTokenResponse(tokens);
  return { tokens, claims: tokens.claims() };
}

// ---------------------------------------------------------------- JOSE checks by hand

export function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

// RFC 7638 thumbprint of an RSA public JWK (SHA-256, base64url).
export function rsaThumbprint(jwk) {
  const canon = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return crypto.createHash('sha256').update(canon).digest('base64url');
}

export function verifyRs256(jwt, jwk) {
  const d = decodeJwt(jwt);
  const key = crypto.createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  return crypto.verify('sha256', Buffer.from(d.signingInput), key, d.signature);
}

// OIDC Core §3.1.3.6: left half of SHA-256 of the access token, base64url.
export function atHash(accessToken) {
  return crypto.createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

// ---------------------------------------------------------------- logs

// Asserts that none of the secrets appears in text. Returns the offenders.
export function findSecrets(text, secrets) {
  return secrets.filter((s) => typeof s === 'string' && s.length >= 8 && text.includes(s));
}

// The run-wide secret registry. scripts/run-e2e sets PLEX_OIDC_E2E_RUN_DIR
// to a fresh directory shared by every test file of one run; the harness
// appends there every secret it sees (client secrets, codes, tokens, Plex
// tokens, browser-binding cookies; not login ids) and writes provider logs
// there, and zz-secrets.test.mjs (the last file) checks that no log of the
// whole run contains any of them. Without the variable, nothing is
// recorded and provider logs stay in their temporary directories.
export const RUN_DIR = process.env.PLEX_OIDC_E2E_RUN_DIR ? path.resolve(process.env.PLEX_OIDC_E2E_RUN_DIR) : null;
const SECRETS_FILE = RUN_DIR && path.join(RUN_DIR, 'secrets.txt');
const LOGS_FILE = RUN_DIR && path.join(RUN_DIR, 'logs.txt');
const recorded = new Set();
let runLogs = 0;

// Records secrets (strings of 8 characters or more; others are ignored).
export function recordSecret(...values) {
  if (!RUN_DIR) return;
  const fresh = values.flat().filter((v) => typeof v === 'string' && v.length >= 8 && !/[\r\n]/.test(v) &&
    !recorded.has(v));
  if (!fresh.length) return;
  for (const v of fresh) recorded.add(v);
  appendRun(SECRETS_FILE, fresh.map((v) => `${v}\n`).join(''));
}

// Never fails a test: zz-secrets.test.mjs sees what could not be written.
function appendRun(file, text) {
  try {
    fs.mkdirSync(RUN_DIR, { recursive: true, mode: 0o700 });
    fs.appendFileSync(file, text, { mode: 0o600 });
  } catch { /* the run directory is gone */ }
}

// Records the path of a log that must hold no secret.
export function recordLog(file) {
  if (!RUN_DIR) return;
  appendRun(LOGS_FILE, `${path.resolve(file)}\n`);
}

// A path for a new log of a plex-oidc process (recorded): in the run
// directory when there is one, so it outlives this test file's temporary
// directories; else in dir.
export function runLogPath(dir, name = 'provider.log') {
  let file = path.join(dir, name);
  if (RUN_DIR) {
    fs.mkdirSync(path.join(RUN_DIR, 'logs'), { recursive: true, mode: 0o700 });
    file = path.join(RUN_DIR, 'logs', `${path.basename(process.argv[1] || 'node')}-${process.pid}-${++runLogs}-${name}`);
  }
  recordLog(file);
  return file;
}

// What the run recorded so far: {secrets: [..], logs: [..]}.
export function readRunRegistry() {
  const lines = (f) => {
    try {
      return fs.readFileSync(f, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return { secrets: [...new Set(lines(SECRETS_FILE))], logs: [...new Set(lines(LOGS_FILE))] };
}

// The secrets of a token endpoint answer (JSON text or object).
export function recordTokenResponse(body) {
  let j = body;
  if (typeof body === 'string') {
    try {
      j = JSON.parse(body);
    } catch {
      return;
    }
  }
  if (j && typeof j === 'object') recordSecret(j.access_token, j.id_token, j.refresh_token);
}

// ---------------------------------------------------------------- browser

let pw;
// args: extra Chromium switches, e.g. ['--host-resolver-rules=MAP *.example.test 127.0.0.1']
// (tests/e2e/gate.test.mjs).
export async function launchBrowser({ args = [] } = {}) {
  pw ??= await import('playwright-core');
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return pw.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
  });
}

// A relying party's callback endpoint: 200 with a small page at any path,
// so a browser's final URL (with code, state, iss) can be read.
export async function startRpServer() {
  const hits = [];
  const srv = http.createServer((req, res) => {
    hits.push(req.url);
    const body = '<!doctype html><title>RP callback</title><p id="rp">callback received</p>';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => {
      srv.closeAllConnections?.();
      srv.close(() => resolve());
    }),
  };
}

// gate-proxies.mjs - the reverse proxies of the forward-auth tests
// (tests/e2e/gate.test.mjs), running the very configurations
// docs/INTEGRATIONS.md shows (etc/forward-auth/), with only the
// example's names, ports and certificate paths replaced by the test's:
//
//   - Debian's nginx (auth_request), TLS with a certificate made by
//     openssl at test time for example.test and *.example.test;
//   - Debian's Caddy (forward_auth), TLS from its own internal CA
//     (global options added in front of the Caddyfile: local_certs, the
//     test's ports, loopback only, its storage in the test's directory);
//   - a small "app" that shows what it received (the Remote-* headers,
//     the host, the path and query).
//
// Each runs in the foreground as a child of the test process, on
// 127.0.0.1, with its own files in a temporary directory; never a system
// service. Test host names (*.example.test, RFC 2606) reach them through
// Chromium's --host-resolver-rules, and tlsRequest() below for the test's
// own requests.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

import { freePort, REPO, sleep, tempDir } from './harness.mjs';
import { NGINX_BIN } from './nginx.mjs';

export const CADDY_BIN = process.env.PLEX_OIDC_CADDY || '/usr/bin/caddy';
export const FA_DIR = path.join(REPO, 'etc/forward-auth');
// The documented examples' domain, and the test's (reserved, RFC 2606).
export const DOC_DOMAIN = 'example.com';
export const DOMAIN = 'example.test';
// The examples' upstreams: plex-oidc, Sonarr, Overseerr.
const DOC_PROVIDER = '127.0.0.1:8080';
const DOC_APPS = { sonarr: '127.0.0.1:8989', overseerr: '127.0.0.1:5055' };

export function caddyMissing() {
  return fs.existsSync(CADDY_BIN) ? null : `no ${CADDY_BIN} (scripts/install-deps test installs caddy)`;
}

export function faText(name) {
  return fs.readFileSync(path.join(FA_DIR, name), 'utf8');
}

// Replaces every `from` in text (there must be at least one: else the
// documented file and the test no longer agree).
function sub(text, from, to, file) {
  const n = text.split(from).length - 1;
  if (n < 1) throw new Error(`etc/forward-auth/${file}: expected "${from}", found none`);
  return text.split(from).join(to);
}

// The documented file with the test's names and ports.
function localize(file, { providerPort, appPort, extra = [] }) {
  let t = faText(file);
  if (t.includes(DOC_DOMAIN)) t = sub(t, DOC_DOMAIN, DOMAIN, file);
  if (t.includes(DOC_PROVIDER)) t = sub(t, DOC_PROVIDER, `127.0.0.1:${providerPort}`, file);
  for (const a of Object.values(DOC_APPS)) if (t.includes(a)) t = sub(t, a, `127.0.0.1:${appPort}`, file);
  for (const [from, to] of extra) t = sub(t, from, to, file);
  return t;
}

// The [app.NAME] sections of etc/forward-auth/plex-oidc.ini, for the test
// domain, as lines for Provider.start({sections}).
export function appSections() {
  return faText('plex-oidc.ini').replaceAll(DOC_DOMAIN, DOMAIN).split('\n').filter((l) => l && !/^\s*;/.test(l));
}

// A certificate for example.test and *.example.test (EC P-256, two days).
export async function testCert() {
  const dir = await tempDir('plex-oidc-cert-');
  const cert = path.join(dir, 'fullchain.pem');
  const key = path.join(dir, 'privkey.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-days', '2', '-subj', `/CN=${DOMAIN}`, '-addext', `subjectAltName=DNS:${DOMAIN},DNS:*.${DOMAIN}`,
    '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl req: ${r.stderr}`);
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(key, 0o644); // nginx's workers run as nobody; a throw-away key
  return { cert, key };
}

// GET (or another method) over TLS to a test host name, sent to 127.0.0.1
// with the name for SNI and Host; the certificate is the test's own, so it
// is not verified. Returns {status, headers, text}, no redirect followed.
export function tlsRequest(url, { method = 'GET', headers = {} } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: u.port || 443, path: `${u.pathname}${u.search}`, method, servername: u.hostname,
      headers: { host: u.host, ...headers }, rejectUnauthorized: false, timeout: 20000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const live = new Set();
process.on('exit', () => {
  for (const c of live) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch { /* gone */ }
  }
});

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

async function stopGroup(child, sig) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, sig);
  const t = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

// Polls https://auth.example.test:PORT/healthz (plex-oidc through the
// proxy) until it answers 200.
async function waitHealthy(port, child, errors) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the proxy exited at start:\n${errors()}`);
    try {
      const r = await tlsRequest(`https://auth.${DOMAIN}:${port}/healthz`);
      if (r.status === 200) return;
    } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`the proxy did not answer within 20 s:\n${errors()}`);
}

export class GateNginx {
  // providerPort: plex-oidc's listen port; appPort: the app's.
  // port: where it listens (the issuer names it).
  static async start({ port, providerPort, appPort, cert }) {
    const n = new GateNginx();
    n.port = port ?? await freePort();
    n.dir = await tempDir('plex-oidc-gate-nginx-');
    fs.chmodSync(n.dir, 0o755);
    const tmp = path.join(n.dir, 'tmp');
    const snippets = path.join(n.dir, 'snippets');
    fs.mkdirSync(tmp, { mode: 0o777 });
    fs.chmodSync(tmp, 0o777);
    fs.mkdirSync(snippets);
    const opts = { providerPort, appPort };
    for (const f of ['plex-oidc-auth.conf', 'plex-oidc-protect.conf']) {
      fs.writeFileSync(path.join(snippets, f), localize(f, opts));
    }
    const site = path.join(n.dir, 'site.conf');
    fs.writeFileSync(site, localize('nginx.conf', { ...opts, extra: [
      ['listen 443 ssl;', `listen 127.0.0.1:${n.port} ssl;`],
      [`/etc/ssl/${DOMAIN}/fullchain.pem`, cert.cert],
      [`/etc/ssl/${DOMAIN}/privkey.pem`, cert.key],
      ['/etc/nginx/snippets/', `${snippets}/`],
    ] }));
    n.errorLog = path.join(n.dir, 'error.log');
    const conf = path.join(n.dir, 'nginx.conf');
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    fs.writeFileSync(conf, [
      '# written by tests/e2e/lib/gate-proxies.mjs',
      asRoot ? 'user nobody nogroup;' : '# not root: runs as the current user',
      'worker_processes 1;',
      `pid ${path.join(n.dir, 'nginx.pid')};`,
      `error_log ${n.errorLog} info;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${path.join(n.dir, 'access.log')};`,
      `  client_body_temp_path ${tmp}/body;`,
      `  proxy_temp_path ${tmp}/proxy;`,
      `  fastcgi_temp_path ${tmp}/fastcgi;`,
      `  uwsgi_temp_path ${tmp}/uwsgi;`,
      `  scgi_temp_path ${tmp}/scgi;`,
      `  include ${site};`,
      '}',
      '',
    ].join('\n'));
    const t = spawnSync(NGINX_BIN, ['-t', '-p', `${n.dir}/`, '-e', n.errorLog, '-c', conf], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`nginx -t refused the configuration:\n${t.stderr}`);
    n.child = track(spawn(NGINX_BIN, ['-p', `${n.dir}/`, '-e', n.errorLog, '-c', conf, '-g', 'daemon off;'],
      { stdio: 'ignore', detached: true }));
    await waitHealthy(n.port, n.child, () => n.errors());
    return n;
  }

  errors() {
    try {
      return fs.readFileSync(this.errorLog, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  }

  stop() {
    return stopGroup(this.child, 'SIGQUIT');
  }
}

export class GateCaddy {
  static async start({ port, providerPort, appPort }) {
    const c = new GateCaddy();
    c.port = port ?? await freePort();
    c.httpPort = await freePort();
    c.dir = await tempDir('plex-oidc-gate-caddy-');
    // Test-only global options in front of the documented file: certificates
    // from Caddy's own CA (no ACME), the test's ports, loopback only.
    const global = [
      '# written by tests/e2e/lib/gate-proxies.mjs; the rest is etc/forward-auth/Caddyfile',
      '{',
      '\tadmin off',
      '\tdefault_bind 127.0.0.1',
      '\tlocal_certs',
      '\tskip_install_trust',
      `\thttp_port ${c.httpPort}`,
      `\thttps_port ${c.port}`,
      '\tstorage file_system {',
      `\t\troot ${path.join(c.dir, 'storage')}`,
      '\t}',
      '}',
      '',
    ].join('\n');
    c.file = path.join(c.dir, 'Caddyfile');
    fs.writeFileSync(c.file, global + localize('Caddyfile', { providerPort, appPort }));
    c.log = path.join(c.dir, 'caddy.log');
    const fd = fs.openSync(c.log, 'a');
    try {
      c.child = track(spawn(CADDY_BIN, ['run', '--config', c.file, '--adapter', 'caddyfile'], {
        stdio: ['ignore', fd, fd], detached: true,
        env: { ...process.env, HOME: c.dir, XDG_DATA_HOME: c.dir, XDG_CONFIG_HOME: c.dir },
      }));
    } finally {
      fs.closeSync(fd);
    }
    await waitHealthy(c.port, c.child, () => c.errors());
    return c;
  }

  errors() {
    try {
      return fs.readFileSync(this.log, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  }

  stop() {
    return stopGroup(this.child, 'SIGTERM');
  }
}

// The guarded "app": any path on any host answers a page showing the
// host, the path and query, and the Remote-* headers it received (a JSON
// object in <pre id="seen">). hits: every request, in order.
export async function startEchoApp() {
  const hits = [];
  const srv = http.createServer((req, res) => {
    const remote = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('remote-')));
    const seen = { host: req.headers.host, url: req.url, remote };
    hits.push(seen);
    const body = `<!doctype html><title>app</title><pre id="seen">${JSON.stringify(seen).replace(/</g, '\\u003c')}</pre>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: srv.address().port,
    hits,
    close: () => new Promise((resolve) => {
      srv.closeAllConnections?.();
      srv.close(() => resolve());
    }),
  };
}

// nginx.mjs - Debian's nginx load-balancing between plex-oidc replicas
// (tests/e2e/replicas.test.mjs), running etc/nginx-replicas.conf, the very
// file docs/OPERATIONS.md shows, with the test's ports put in place of the
// example's. Its own prefix, main configuration, pid file, logs and temp
// directories in a temporary directory; a loopback port; in the
// foreground as a child of the test process, never the system's service.
//
// The access log records, for every request, which replica answered
// ($upstream_addr): served() reads it back.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { freePort, REPO, sleep, tempDir } from './harness.mjs';

export const NGINX_BIN = process.env.PLEX_OIDC_NGINX || '/usr/sbin/nginx';
export const NGINX_EXAMPLE = path.join(REPO, 'etc/nginx-replicas.conf');
// The example's addresses, replaced by the test's.
const EXAMPLE_LISTEN = 'listen 127.0.0.1:8080;';
const EXAMPLE_UPSTREAMS = ['server 127.0.0.1:8081;', 'server 127.0.0.1:8082;'];

export function nginxMissing() {
  return fs.existsSync(NGINX_BIN) ? null : `no ${NGINX_BIN} (scripts/install-deps test installs nginx)`;
}

// The example with the test's ports; throws if the example no longer has
// the lines this replaces (the docs and the test would then disagree).
export function exampleWithPorts(port, upstreamPorts) {
  let text = fs.readFileSync(NGINX_EXAMPLE, 'utf8');
  const once = (from, to) => {
    const n = text.split(from).length - 1;
    if (n !== 1) throw new Error(`etc/nginx-replicas.conf: expected "${from}" once, found it ${n} times`);
    text = text.replace(from, to);
  };
  once(EXAMPLE_LISTEN, `listen 127.0.0.1:${port};`);
  EXAMPLE_UPSTREAMS.forEach((line, i) => once(line, `server 127.0.0.1:${upstreamPorts[i]};`));
  return text;
}

const live = new Set();
process.on('exit', () => {
  for (const n of live) {
    try {
      process.kill(-n.child.pid, 'SIGKILL');
    } catch { /* gone */ }
  }
});

export class Nginx {
  // upstreamPorts: the replicas' listen ports, in the example's order.
  static async start({ port, upstreamPorts }) {
    const n = new Nginx();
    n.port = port ?? await freePort();
    n.base = `http://127.0.0.1:${n.port}`;
    n.upstreamPorts = upstreamPorts;
    await n.init();
    await n.launch();
    return n;
  }

  async init() {
    this.dir = await tempDir('plex-oidc-nginx-');
    // Workers run as nobody when started as root: the temp directories
    // must be theirs to write (logs are opened by the master).
    fs.chmodSync(this.dir, 0o755);
    const tmp = path.join(this.dir, 'tmp');
    fs.mkdirSync(tmp, { mode: 0o777 });
    fs.chmodSync(tmp, 0o777);
    this.site = path.join(this.dir, 'plex-oidc-replicas.conf');
    fs.writeFileSync(this.site, exampleWithPorts(this.port, this.upstreamPorts));
    this.accessLog = path.join(this.dir, 'access.log');
    this.errorLog = path.join(this.dir, 'error.log');
    this.confPath = path.join(this.dir, 'nginx.conf');
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    fs.writeFileSync(this.confPath, [
      '# written by tests/e2e/lib/nginx.mjs',
      asRoot ? 'user nobody nogroup;' : '# not root: runs as the current user',
      'worker_processes 1;',
      `pid ${path.join(this.dir, 'nginx.pid')};`,
      `error_log ${this.errorLog} info;`,
      'events { worker_connections 256; }',
      'http {',
      // one line per request: which replica answered it
      '  log_format replicas \'$request_method $uri $status $upstream_addr\';',
      `  access_log ${this.accessLog} replicas;`,
      `  client_body_temp_path ${tmp}/body;`,
      `  proxy_temp_path ${tmp}/proxy;`,
      `  fastcgi_temp_path ${tmp}/fastcgi;`,
      `  uwsgi_temp_path ${tmp}/uwsgi;`,
      `  scgi_temp_path ${tmp}/scgi;`,
      `  include ${this.site};`,
      '}',
      '',
    ].join('\n'));
  }

  async launch() {
    const t = spawnSync(NGINX_BIN, ['-t', '-p', `${this.dir}/`, '-e', this.errorLog, '-c', this.confPath],
      { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`nginx -t refused the configuration:\n${t.stderr}`);
    this.child = spawn(NGINX_BIN, ['-p', `${this.dir}/`, '-e', this.errorLog, '-c', this.confPath,
      '-g', 'daemon off;'], { stdio: 'ignore', detached: true });
    live.add(this);
    this.child.once('exit', () => live.delete(this));
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited at start:\n${this.errors()}`);
      try {
        const r = await fetch(`${this.base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch { /* not yet */ }
      await sleep(50);
    }
    throw new Error(`nginx did not answer within 10 s:\n${this.errors()}`);
  }

  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise((resolve) => c.once('exit', resolve));
    process.kill(-c.pid, 'SIGQUIT'); // graceful
    const t = setTimeout(() => process.kill(-c.pid, 'SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  }

  // The access log as [{method, uri, status, upstream}] (upstream: the
  // replica's "127.0.0.1:PORT", or several, comma-separated, when nginx
  // tried one and moved on).
  served() {
    let text = '';
    try {
      text = fs.readFileSync(this.accessLog, 'utf8');
    } catch { /* none yet */ }
    return text.split('\n').filter(Boolean).map((l) => {
      const [method, uri, status, ...up] = l.split(' ');
      return { method, uri, status: Number(status), upstream: up.join(' ') };
    });
  }

  // served().slice(seen) once the request for `uri` is in it. nginx
  // writes the log line after the response has gone out, so a client
  // that has its answer can read the log before that line is there.
  async servedSince(seen, uri, timeoutMs = 3000) {
    const t0 = Date.now();
    for (;;) {
      const mine = this.served().slice(seen);
      if (mine.some((r) => r.uri === uri) || Date.now() - t0 > timeoutMs) return mine;
      await sleep(20);
    }
  }

  errors() {
    try {
      return fs.readFileSync(this.errorLog, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  }
}

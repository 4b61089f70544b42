// redis.mjs - a private redis-server (Debian's) for the replica tests
// (tests/e2e/replicas.test.mjs): its own temporary directory, its own
// configuration file, a loopback port and a Unix socket, a password, no
// persistence (a restart loses everything, like an unconfigured Redis).
// Never the system's service: scripts/install-deps test installs the
// redis-server package, and this starts the binary itself in the
// foreground as a child of the test process.
//
// cli() runs Debian's redis-cli against it (the password through
// REDISCLI_AUTH, never on a command line).

import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { freePort, recordSecret, sleep, tempDir } from './harness.mjs';

export const REDIS_BIN = process.env.PLEX_OIDC_REDIS_SERVER || '/usr/bin/redis-server';
export const REDIS_CLI = process.env.PLEX_OIDC_REDIS_CLI || '/usr/bin/redis-cli';

// Why Redis cannot run here, or null.
export function redisMissing() {
  if (!fs.existsSync(REDIS_BIN)) return `no ${REDIS_BIN} (scripts/install-deps test installs redis-server)`;
  if (!fs.existsSync(REDIS_CLI)) return `no ${REDIS_CLI} (it comes with redis-server)`;
  return null;
}

const live = new Set();
process.on('exit', () => {
  for (const r of live) {
    try {
      r.child.kill('SIGKILL');
    } catch { /* gone */ }
  }
});

export class RedisServer {
  static async start() {
    const r = new RedisServer();
    await r.init();
    await r.launch();
    return r;
  }

  async init() {
    this.dir = await tempDir('plex-oidc-redis-');
    this.port = await freePort();
    this.socket = path.join(this.dir, 'redis.sock');
    this.password = crypto.randomBytes(24).toString('base64url');
    recordSecret(this.password);
    this.passwordFile = path.join(this.dir, 'redis.password');
    fs.writeFileSync(this.passwordFile, `${this.password}\n`, { mode: 0o600 });
    this.confPath = path.join(this.dir, 'redis.conf');
    this.logPath = path.join(this.dir, 'redis.log');
    fs.writeFileSync(this.confPath, [
      '# written by tests/e2e/lib/redis.mjs',
      'bind 127.0.0.1',
      `port ${this.port}`,
      `unixsocket ${this.socket}`,
      'unixsocketperm 700',
      `dir ${this.dir}`,
      `logfile ${this.logPath}`,
      'daemonize no',
      'save ""',
      'appendonly no',
      `requirepass ${this.password}`,
      '',
    ].join('\n'), { mode: 0o600 });
  }

  // For [store] url.
  get url() {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  get running() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async launch() {
    this.child = spawn(REDIS_BIN, [this.confPath], { stdio: 'ignore' });
    live.add(this);
    this.child.once('exit', () => live.delete(this));
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`redis-server exited at start:\n${this.log()}`);
      if (this.cli('PING').stdout.trim() === 'PONG') return;
      await sleep(50);
    }
    throw new Error(`redis-server did not answer within 10 s:\n${this.log()}`);
  }

  // SIGTERM (Redis shuts down at once: nothing to save); resolves when gone.
  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGCONT');
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  }

  // redis-cli with args; {status, stdout, stderr}.
  cli(...args) {
    const r = spawnSync(REDIS_CLI, ['-s', this.socket, '--no-raw', ...args], {
      encoding: 'utf8', timeout: 10000, env: { ...process.env, REDISCLI_AUTH: this.password },
    });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  // Every key (SCAN), with its remaining time to live in ms (-1: none).
  keys() {
    const out = spawnSync(REDIS_CLI, ['-s', this.socket, '--raw', '--scan'], {
      encoding: 'utf8', timeout: 10000, env: { ...process.env, REDISCLI_AUTH: this.password },
    }).stdout ?? '';
    return out.split('\n').filter(Boolean).map((key) => {
      const r = spawnSync(REDIS_CLI, ['-s', this.socket, '--raw', 'PTTL', key], {
        encoding: 'utf8', timeout: 10000, env: { ...process.env, REDISCLI_AUTH: this.password },
      });
      return { key, pttl: Number((r.stdout ?? '').trim()) };
    });
  }

  log() {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  }
}

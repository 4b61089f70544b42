// packaging.test.mjs - the systemd unit and the Dockerfile.
//
// etc/plex-oidc.service must pass `systemd-analyze verify` (with ExecStart
// pointed at the binary under test, since verify checks that the command
// exists), also with its commented LoadCredential= example turned on, carry
// the sandboxing docs/OPERATIONS.md promises, and score "OK" or better in
// `systemd-analyze security --offline=true`. systemd-analyze comes with the
// systemd package (scripts/install-deps test): when it is missing the test
// fails, it never skips.
//
// The Dockerfile is built and run by tests/package/image.test.mjs (podman;
// not part of make test). Here, without a container engine, it is read as
// text for quick feedback: Debian bookworm-slim as the default base,
// packages from scripts/install-deps build (the script CI uses), make, a
// non-root user, the volume, port, health check, entry point and command,
// a runtime stage that installs the packages of every library the binary
// links and cleans up after apt itself.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { BIN, REPO, tempDir } from './lib/harness.mjs';

const UNIT = path.join(REPO, 'etc/plex-oidc.service');
const DOCKERFILE = path.join(REPO, 'Dockerfile');
const SYSTEMD_ANALYZE = process.env.PLEX_OIDC_SYSTEMD_ANALYZE || 'systemd-analyze';

function findInPath(cmd) {
  if (cmd.includes('/')) return fs.existsSync(cmd) ? cmd : null;
  for (const d of (process.env.PATH || '/usr/bin:/bin').split(':')) {
    const p = path.join(d || '.', cmd);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

// The unit's [Service] settings: key -> array of values, in order.
function parseUnit(text) {
  const out = {};
  let section = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^\[(.+)\]$/.exec(line);
    if (m) {
      section = m[1];
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = `${section}.${line.slice(0, eq).trim()}`;
    (out[key] ??= []).push(line.slice(eq + 1).trim());
  }
  return out;
}

// A copy of the unit whose ExecStart runs the binary under test; with
// credential: the LoadCredential= example uncommented.
async function unitCopy({ credential = false } = {}) {
  assert.ok(fs.existsSync(BIN), `no provider binary at ${BIN} (build it with make)`);
  let text = fs.readFileSync(UNIT, 'utf8');
  assert.match(text, /^ExecStart=\/usr\/local\/bin\/plex-oidc /m);
  text = text.replace(/^ExecStart=\/usr\/local\/bin\/plex-oidc /m, `ExecStart=${BIN} `);
  if (credential) {
    assert.match(text, /^#LoadCredential=/m, 'the unit shows a LoadCredential= example');
    text = text.replace(/^#LoadCredential=/m, 'LoadCredential=');
  }
  const dir = await tempDir('plex-oidc-unit-');
  const file = path.join(dir, 'plex-oidc.service');
  fs.writeFileSync(file, text);
  return file;
}

function analyze(args) {
  const exe = findInPath(SYSTEMD_ANALYZE);
  assert.ok(exe, `${SYSTEMD_ANALYZE} not found: scripts/install-deps test installs the systemd package`);
  const r = spawnSync(exe, args, { encoding: 'utf8', timeout: 60000, env: { ...process.env, SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' } });
  assert.equal(r.error, undefined, String(r.error));
  return r;
}

describe('systemd unit (etc/plex-oidc.service)', () => {
  test('systemd-analyze verify passes', async () => {
    const file = await unitCopy();
    const r = analyze(['verify', file]);
    assert.equal(r.status, 0, `systemd-analyze verify failed:\n${r.stdout}${r.stderr}`);
    // verify prints warnings without failing; there must be none about this unit.
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('plex-oidc.service'));
    assert.deepEqual(ours, [], `warnings:\n${ours.join('\n')}`);
  });

  test('systemd-analyze verify passes with the LoadCredential= example turned on', async () => {
    const file = await unitCopy({ credential: true });
    const r = analyze(['verify', file]);
    assert.equal(r.status, 0, `systemd-analyze verify failed:\n${r.stdout}${r.stderr}`);
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('plex-oidc.service'));
    assert.deepEqual(ours, [], `warnings:\n${ours.join('\n')}`);
  });

  test('sandboxing and restart settings are there', () => {
    const u = parseUnit(fs.readFileSync(UNIT, 'utf8'));
    const one = (k) => {
      assert.ok(u[`Service.${k}`], `[Service] ${k}= missing`);
      return u[`Service.${k}`].at(-1);
    };
    assert.equal(one('DynamicUser'), 'yes');
    assert.equal(one('StateDirectory'), 'plex-oidc');
    assert.equal(one('ConfigurationDirectory'), 'plex-oidc');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.equal(one('ProtectHome'), 'yes');
    assert.equal(one('PrivateTmp'), 'yes');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('RestrictAddressFamilies'), 'AF_INET AF_INET6 AF_UNIX');
    assert.equal(u['Service.SystemCallFilter'][0], '@system-service');
    assert.equal(one('CapabilityBoundingSet'), '');
    assert.equal(one('MemoryDenyWriteExecute'), 'yes');
    assert.equal(one('LockPersonality'), 'yes');
    for (const k of ['ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs', 'RestrictNamespaces']) {
      assert.equal(one(k), 'yes', k);
    }
    assert.equal(one('UMask'), '0077');
    // Issue 9, item 9: a core dump would hold the signing key and tokens.
    assert.equal(one('LimitCORE'), '0');
    // Descriptors for LIM_HTTP_CONNECTIONS_MAX connections and the rest.
    assert.ok(Number(one('LimitNOFILE')) >= 4096 + 256 + 64, `LimitNOFILE=${one('LimitNOFILE')}`);
    assert.equal(one('Restart'), 'on-failure');
    assert.match(one('ExecStart'), /^\/usr\/local\/bin\/plex-oidc --config \/etc\/plex-oidc\/plex-oidc\.ini$/);
    assert.equal(u['Install.WantedBy']?.[0], 'multi-user.target');
  });

  test('systemd-analyze security rates the unit OK or better', async () => {
    const file = await unitCopy();
    const r = analyze(['security', '--offline=true', '--no-pager', file]);
    const m = /Overall exposure level for plex-oidc\.service: ([\d.]+) (\S+)/.exec(r.stdout);
    assert.ok(m, `no exposure level in:\n${r.stdout}${r.stderr}`);
    const score = Number(m[1]);
    assert.ok(score <= 2.0, `exposure ${score} ${m[2]} (want <= 2.0)`);
    assert.ok(['OK', 'SAFE'].includes(m[2]) || score <= 2.0, m[2]);
  });
});

// The Debian package that ships a library path. With merged /usr, a file
// may be registered under /lib or /usr/lib whichever way ldd names it.
function owner(file) {
  const alt = file.startsWith('/usr/') ? file.slice(4) : `/usr${file}`;
  for (const f of [file, alt]) {
    const r = spawnSync('dpkg', ['-S', f], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout.split(':')[0].trim();
  }
  return null;
}

describe('Dockerfile', () => {
  const text = fs.readFileSync(DOCKERFILE, 'utf8');
  // Instructions with line continuations joined, comments dropped.
  const instr = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const all = (kw) => instr.filter((l) => l.toUpperCase().startsWith(`${kw} `));

  test('builds on debian:bookworm-slim with scripts/install-deps build, then make', () => {
    // One base for both stages, debian:bookworm-slim unless --build-arg
    // BASE names another (the image test's local mmdebstrap image).
    assert.deepEqual(all('ARG').filter((l) => /^ARG BASE\b/.test(l)), ['ARG BASE=debian:bookworm-slim']);
    assert.ok(instr.findIndex((l) => /^ARG BASE=/.test(l)) < instr.findIndex((l) => /^FROM /i.test(l)));
    const froms = all('FROM');
    assert.equal(froms.length, 2, 'a build stage and a runtime stage');
    for (const f of froms) assert.match(f, /^FROM \$\{BASE\}(\s+AS\s+\S+)?$/i);
    const runs = all('RUN');
    const inst = runs.findIndex((l) => /(^|\s|&&\s*)scripts\/install-deps build(\s|$|&&)/.test(l));
    assert.ok(inst >= 0, 'a RUN step calls scripts/install-deps build');
    const mk = runs.findIndex((l) => /(^RUN|&&)\s*make(\s|$)/.test(l));
    assert.ok(mk > inst, 'make runs after scripts/install-deps build');
    assert.ok(fs.existsSync(path.join(REPO, 'scripts/install-deps')));
    // What is copied into the build context exists.
    for (const c of all('COPY').filter((l) => !/--from=/.test(l))) {
      const src = c.split(/\s+/).slice(1, -1).filter((s) => !s.startsWith('--'));
      for (const s of src) if (s !== '.') assert.ok(fs.existsSync(path.join(REPO, s)), `COPY source ${s}`);
    }
  });

  test('runs as a non-root user with the volume, port, health check, entry point and command', () => {
    const users = all('USER');
    assert.ok(users.length >= 1, 'USER');
    const user = users.at(-1).split(/\s+/)[1].split(':')[0];
    assert.ok(!['root', '0'].includes(user), `runs as ${user}`);
    assert.ok(all('RUN').some((l) => new RegExp(`useradd\\b.*\\b${user}\\b`).test(l)), `user ${user} is created`);
    assert.ok(all('VOLUME').some((l) => /\/var\/lib\/plex-oidc\b/.test(l)), 'VOLUME /var/lib/plex-oidc');
    assert.ok(all('EXPOSE').some((l) => /\b8080\b/.test(l)), 'EXPOSE 8080');
    const hc = all('HEALTHCHECK');
    assert.equal(hc.length, 1);
    assert.match(hc[0], /\/healthz/);
    // The port of PLEX_OIDC_SERVER_LISTEN (8080 unless overridden).
    assert.match(hc[0], /http:\/\/127\.0\.0\.1:\$\{PLEX_OIDC_SERVER_LISTEN##\*:\}/);
    assert.deepEqual(JSON.parse(all('ENTRYPOINT').at(-1).slice('ENTRYPOINT'.length)), ['plex-oidc']);
    assert.deepEqual(JSON.parse(all('CMD').at(-1).slice('CMD'.length)), ['--config', '/etc/plex-oidc/plex-oidc.ini']);
    // The container listens where EXPOSE and the health check say, and keeps
    // its state in the volume, whatever the mounted file says.
    assert.match(text, /PLEX_OIDC_SERVER_LISTEN=0\.0\.0\.0:8080/);
    assert.match(text, /PLEX_OIDC_SERVER_DATA_DIR=\/var\/lib\/plex-oidc/);
  });

  test('the runtime stage installs the package of every library the binary links', () => {
    assert.ok(fs.existsSync(BIN), `no provider binary at ${BIN}`);
    const stages = text.split(/^FROM /m).slice(1);
    const runtime = stages.at(-1).replace(/\\\n/g, ' ');
    const needed = execFileSync('readelf', ['-d', BIN], { encoding: 'utf8' })
      .split('\n').map((l) => /\(NEEDED\)\s+Shared library: \[(.+)\]/.exec(l)?.[1]).filter(Boolean);
    assert.ok(needed.length > 0);
    const ldd = execFileSync('ldd', [BIN], { encoding: 'utf8' });
    for (const lib of needed) {
      // A `make SAN=1` binary also links the sanitizer runtimes; the image
      // builds without them.
      if (/^lib(a|ub|l|t|hwa)san\.so/.test(lib)) continue;
      const m = new RegExp(`^\\s*${lib.replace(/[.+]/g, '\\$&')} => (\\S+)`, 'm').exec(ldd);
      assert.ok(m, `ldd does not resolve ${lib}`);
      const pkg = owner(m[1]);
      assert.ok(pkg, `no Debian package owns ${m[1]}`);
      if (pkg === 'libc6') continue; // in every Debian image
      assert.match(runtime, new RegExp(`\\b${pkg.replace(/[.+]/g, '\\$&')}\\b`), `runtime stage lacks ${pkg} (for ${lib})`);
    }
    assert.match(runtime, /\bca-certificates\b/, 'CA certificates for https://plex.tv');
    // apt's lists, caches and downloads do not stay in the layer, whatever
    // clean-up hooks the base has (the image test measures the layer).
    assert.match(runtime, /apt-get clean/);
    assert.match(runtime, /rm -rf [^&]*\/var\/lib\/apt\/lists\/\*/);
    assert.match(runtime, /rm -rf [^&]*\/var\/cache\/apt\/\*\.bin/);
    assert.match(runtime, /--no-install-recommends/);
  });

  test('.dockerignore keeps host builds and node_modules out of the context', () => {
    const ignore = fs.readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    assert.ok(ignore.includes('build'), 'build');
    assert.ok(ignore.some((l) => /node_modules/.test(l)), 'node_modules');
    assert.ok(ignore.includes('.git'), '.git');
  });
});

// deb.test.mjs - the Debian package (make deb): what it holds, lintian, and
// its life in a Debian 12 system.
//
// The package is installed with apt into a fresh Debian 12 minbase root
// file system (made by mmdebstrap from Debian's packages, lib.mjs) through
// chroot, so apt resolves its Depends from Debian's archive. There:
// --version, check-config on the example (filled in as README.Debian says)
// as the service user, the server itself started as that user, then an
// upgrade, a removal and a purge, each checked for what it leaves.
//
// No systemd runs in a chroot. The maintainer scripts talk to systemd only
// when /run/systemd/system exists; the test creates it and puts a recorder
// in place of systemctl, which logs its arguments, so the test sees what
// the scripts ask systemd to do (never a start on install; try-restart on
// upgrade; stop on removal). The unit itself, with the package's drop-in,
// is checked with systemd-analyze on the host.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { freePort, request, sleep, tempDir } from '../e2e/lib/harness.mjs';
import { baseTar, needTools, report, REPO, run, version } from './lib.mjs';

const CALLS = '/var/log/systemctl-calls';
// lintian tags at "info" level that stay, and why (docs/OPERATIONS.md lists
// them too). Errors and warnings: none.
const LINTIAN_INFO_OK = {
  'package-supports-alternative-init-but-no-init.d-script': 'systemd only: other init systems run plex-oidc --config FILE',
  'systemd-service-file-missing-documentation-key': 'the unit is shared with source installs; the drop-in adds Documentation=',
};

let deb;
let root;
let arch;

const chroot = (args, opts = {}) => run('chroot', [root, ...args], {
  timeoutMs: 300000,
  env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive', HOME: '/root' },
  ...opts,
});
const inRoot = (p) => path.join(root, p);
const calls = () => (fs.existsSync(inRoot(CALLS)) ? fs.readFileSync(inRoot(CALLS), 'utf8').trim().split('\n').filter(Boolean) : []);
const clearCalls = () => fs.rmSync(inRoot(CALLS), { force: true });

before(async () => {
  needTools('dpkg-deb', 'dpkg-shlibdeps', 'lintian', 'systemd-analyze', 'chroot');
  arch = (await run('dpkg', ['--print-architecture'])).stdout.trim();
  const t0 = Date.now();
  const r = await run('make', ['--no-print-directory', 'deb'], { timeoutMs: 600000 });
  report(null, `make deb: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  deb = r.stdout.trim().split('\n').at(-1);
  assert.equal(deb, path.join(REPO, `build/plex-oidc_${version()}_${arch}.deb`));

  root = await tempDir('plex-oidc-deb-root-');
  await run('tar', ['--numeric-owner', '-xpf', await baseTar(), '-C', root]);
  fs.copyFileSync('/etc/resolv.conf', inRoot('etc/resolv.conf'));
  fs.copyFileSync(deb, inRoot('tmp/plex-oidc.deb'));
  // "systemd is running": the recorder stands in for systemctl.
  fs.mkdirSync(inRoot('run/systemd/system'), { recursive: true });
  // It says every unit is enabled and active, so that deb-systemd-invoke
  // would pass any start on.
  fs.writeFileSync(inRoot('usr/bin/systemctl'), [
    '#!/bin/sh', `echo "$*" >> ${CALLS}`, 'case "$*" in *is-enabled*) echo enabled ;; esac', 'exit 0', '',
  ].join('\n'), { mode: 0o755 });
  await chroot(['apt-get', 'update', '-qq']);
});

const pkgFiles = async () => (await run('dpkg-deb', ['-c', deb])).stdout.trim().split('\n')
  .map((l) => l.split(/\s+/).slice(5).join(' ').replace(/^\./, '')).filter((p) => p && !p.endsWith('/'));

describe('the .deb', () => {
  test('its fields, files and Depends (computed from the libraries the binary links)', async (t) => {
    const field = async (f) => (await run('dpkg-deb', ['-f', deb, f])).stdout.trim();
    assert.equal(await field('Package'), 'plex-oidc');
    assert.equal(await field('Version'), version());
    assert.equal(await field('Architecture'), arch);
    assert.deepEqual((await pkgFiles()).sort(), [
      '/etc/plex-oidc/plex-oidc.example.ini',
      '/lib/systemd/system/plex-oidc.service',
      '/lib/systemd/system/plex-oidc.service.d/debian.conf',
      '/usr/bin/plex-oidc',
      '/usr/share/doc/plex-oidc/README.Debian',
      '/usr/share/doc/plex-oidc/changelog.gz',
      '/usr/share/doc/plex-oidc/copyright',
      '/usr/share/man/man1/plex-oidc.1.gz',
    ]);
    const info = await run('dpkg-deb', ['--info', deb]);
    report(t, `package: ${path.basename(deb)}, ${fs.statSync(deb).size} bytes, Installed-Size ${await field('Installed-Size')} KiB`);

    // Every library the binary needs, from the package that ships it, at
    // the version its symbols need: what dpkg-shlibdeps computed.
    const depends = (await field('Depends')).split(/,\s*/);
    const bin = path.join(REPO, 'build/deb/src/debian/plex-oidc/usr/bin/plex-oidc');
    const needed = (await run('readelf', ['-d', bin])).stdout.split('\n')
      .map((l) => /\(NEEDED\)\s+Shared library: \[(.+)\]/.exec(l)?.[1]).filter(Boolean);
    assert.ok(needed.length >= 5, needed.join(' '));
    const ldd = (await run('ldd', [bin])).stdout;
    for (const lib of needed) {
      const file = new RegExp(`^\\s*${lib.replace(/[.+]/g, '\\$&')} => (\\S+)`, 'm').exec(ldd)?.[1];
      assert.ok(file, `ldd resolves ${lib}`);
      let owner = null;
      for (const f of [file, file.startsWith('/usr/') ? file.slice(4) : `/usr${file}`]) {
        const r = await run('dpkg', ['-S', f], { allowFail: true });
        if (r.status === 0) owner = r.stdout.split(':')[0].trim();
      }
      assert.ok(owner, `a Debian package owns ${file}`);
      assert.ok(depends.some((d) => new RegExp(`^${owner.replace(/[.+]/g, '\\$&')} \\(>= [^)]+\\)$`).test(d)),
        `Depends (${depends.join(', ')}) has ${owner} (>= ...) for ${lib}`);
    }
    // Not libraries: adduser (postinst), ca-certificates (https to plex.tv).
    assert.ok(depends.includes('adduser'));
    assert.ok(depends.includes('ca-certificates'));
    assert.equal(depends.length, needed.length + 2, `nothing else: ${depends.join(', ')}`);
    assert.match(info.stdout, /conffiles/);
    const conffiles = fs.readFileSync(path.join(REPO, 'build/deb/src/debian/plex-oidc/DEBIAN/conffiles'), 'utf8');
    assert.equal(conffiles, '/etc/plex-oidc/plex-oidc.example.ini\n');

    // Debian's hardening flags: PIE, full RELRO, bind-now, stack protector.
    const dyn = (await run('readelf', ['-d', '-h', '-l', '-s', '--wide', bin])).stdout;
    assert.match(dyn, /Type:\s+DYN/, 'PIE');
    assert.match(dyn, /GNU_RELRO/);
    assert.match(dyn, /\(FLAGS\)\s+BIND_NOW/);
    assert.match(dyn, /__stack_chk_fail/);
    for (const s of ['postinst', 'prerm', 'postrm']) await run('sh', ['-n', path.join(REPO, 'packaging/deb', s)]);
  });

  test('lintian: no errors or warnings; the info tags left are known', async (t) => {
    const r = await run('lintian', ['--fail-on', 'error,warning', '--display-info', '--pedantic', '--no-tag-display-limit',
      deb], { allowFail: true });
    const lines = r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith('N:'));
    const tags = lines.map((l) => /^([EWIPX]): plex-oidc(?: \S+)?: (\S+)/.exec(l));
    assert.ok(tags.every(Boolean), `lintian lines not understood:\n${r.stdout}`);
    const bad = tags.filter((m) => m[1] === 'E' || m[1] === 'W').map((m) => m[0]);
    assert.deepEqual(bad, [], `lintian:\n${r.stdout}${r.stderr}`);
    assert.equal(r.status, 0, `lintian --fail-on error,warning:\n${r.stdout}${r.stderr}`);
    const other = [...new Set(tags.map((m) => m[2]))];
    for (const tag of other) assert.ok(LINTIAN_INFO_OK[tag], `lintian tag ${tag} is not known:\n${r.stdout}`);
    report(t, `lintian: no errors or warnings; info/pedantic: ${other.join(', ') || 'none'}`);
  });

  test('the packaged unit with its drop-in passes systemd-analyze verify and security', async () => {
    const dir = await tempDir('plex-oidc-deb-unit-');
    const tree = path.join(REPO, 'build/deb/src/debian/plex-oidc');
    fs.copyFileSync(path.join(tree, 'lib/systemd/system/plex-oidc.service'), path.join(dir, 'plex-oidc.service'));
    fs.mkdirSync(path.join(dir, 'plex-oidc.service.d'));
    // verify checks that ExecStart's program exists: the package's binary.
    const dropIn = fs.readFileSync(path.join(tree, 'lib/systemd/system/plex-oidc.service.d/debian.conf'), 'utf8');
    assert.match(dropIn, /^ExecStart=\/usr\/bin\/plex-oidc --config \/etc\/plex-oidc\/plex-oidc\.ini$/m);
    fs.writeFileSync(path.join(dir, 'plex-oidc.service.d/debian.conf'),
      dropIn.replace(/^ExecStart=\/usr\/bin\/plex-oidc /m, `ExecStart=${path.join(tree, 'usr/bin/plex-oidc')} `));
    const env = { ...process.env, SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' };
    const unit = path.join(dir, 'plex-oidc.service');
    const v = await run('systemd-analyze', ['verify', '--man=no', unit], { env });
    const ours = `${v.stdout}${v.stderr}`.split('\n').filter((l) => l.includes('plex-oidc'));
    assert.deepEqual(ours, []);
    const s = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { env });
    const m = /Overall exposure level for plex-oidc\.service: ([\d.]+)/.exec(s.stdout);
    assert.ok(m && Number(m[1]) <= 2.0, s.stdout.slice(-400));
    // The drop-in is read: a static user, not DynamicUser.
    assert.match(s.stdout, /Service runs under a static non-root user identity/);
  });
});

describe('installed in a Debian 12 root', () => {
  let installOut;

  test('apt installs it with its dependencies from Debian; the service is not started', async (t) => {
    const t0 = Date.now();
    const r = await chroot(['apt-get', 'install', '-y', '-q', '--no-install-recommends', '/tmp/plex-oidc.deb']);
    report(t, `apt-get install into the minbase root: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    installOut = r.stdout;
    assert.match(installOut, /plex-oidc: not started: write \/etc\/plex-oidc\/plex-oidc\.ini first/);
    assert.equal((await chroot(['plex-oidc', '--version'])).stdout, `plex-oidc ${version()}\n`);
    // Only a daemon-reload: nothing started, nothing enabled.
    assert.deepEqual(calls(), ['--system daemon-reload']);

    const [, , uid, gid, , home, shell] = (await chroot(['getent', 'passwd', 'plex-oidc'])).stdout.trim().split(':');
    assert.ok(Number(uid) > 0 && Number(uid) < 1000, `a system user: uid ${uid}`);
    assert.equal(home, '/var/lib/plex-oidc');
    assert.equal(shell, '/usr/sbin/nologin');
    assert.equal((await chroot(['getent', 'group', 'plex-oidc'])).stdout.split(':')[2], gid);
    const st = fs.statSync(inRoot('var/lib/plex-oidc'));
    assert.equal(st.mode & 0o7777, 0o700);
    assert.equal(st.uid, Number(uid));
    assert.equal(st.gid, Number(gid));
    for (const f of ['lib/systemd/system/plex-oidc.service', 'etc/plex-oidc/plex-oidc.example.ini']) {
      assert.ok(fs.existsSync(inRoot(f)), f);
    }
  });

  test('check-config passes on the example, filled in as README.Debian says, as the service user', async () => {
    // As shipped, the example names a secret file that does not exist yet.
    const bare = await chroot(['plex-oidc', 'check-config', '/etc/plex-oidc/plex-oidc.example.ini'], { allowFail: true });
    assert.equal(bare.status, 1);
    assert.match(bare.stderr, /grafana\.secret/);

    fs.copyFileSync(inRoot('etc/plex-oidc/plex-oidc.example.ini'), inRoot('etc/plex-oidc/plex-oidc.ini'));
    fs.writeFileSync(inRoot('etc/plex-oidc/grafana.secret'), 'S3cr3t-0123456789abcdefghijklmnopqrstuvwxyz\n');
    await chroot(['chown', 'root:plex-oidc', '/etc/plex-oidc/plex-oidc.ini', '/etc/plex-oidc/grafana.secret']);
    await chroot(['chmod', '0640', '/etc/plex-oidc/plex-oidc.ini', '/etc/plex-oidc/grafana.secret']);
    const r = await chroot(['setpriv', '--reuid=plex-oidc', '--regid=plex-oidc', '--clear-groups',
      'plex-oidc', 'check-config', '/etc/plex-oidc/plex-oidc.ini']);
    assert.equal(r.stdout, '/etc/plex-oidc/plex-oidc.ini: OK (1 client)\n');
  });

  test('the server runs as the service user: its key goes to /var/lib/plex-oidc, SIGTERM exits 0', async () => {
    const port = await freePort();
    const child = spawn('chroot', ['--userspec=plex-oidc:plex-oidc', root, '/usr/bin/plex-oidc', '--config',
      '/etc/plex-oidc/plex-oidc.ini'], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', PLEX_OIDC_SERVER_LISTEN: `127.0.0.1:${port}` }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      const deadline = Date.now() + 20000;
      for (;;) {
        try {
          if ((await request(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 1000 })).status === 200) break;
        } catch { /* not yet */ }
        assert.ok(Date.now() < deadline && child.exitCode === null, `no /healthz:\n${log}`);
        await sleep(100);
      }
      const d = await request(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
      assert.equal(d.json().issuer, 'https://auth.example.com');
    } finally {
      child.kill('SIGTERM');
    }
    assert.deepEqual(await exited, { code: 0, signal: null }, log);
    const uid = Number((await chroot(['id', '-u', 'plex-oidc'])).stdout);
    const key = fs.statSync(inRoot('var/lib/plex-oidc/keyring.json'));
    assert.equal(key.uid, uid);
    assert.equal(key.mode & 0o777, 0o600);
  });

  test('an upgrade restarts it only if it runs; removal stops it; purge deletes the state', async () => {
    const keyBefore = fs.readFileSync(inRoot('var/lib/plex-oidc/keyring.json'));
    clearCalls();
    await chroot(['dpkg', '-i', '/tmp/plex-oidc.deb']);
    let c = calls();
    assert.ok(c.includes('try-restart plex-oidc.service'), `upgrade: ${c.join(' | ')}`);
    assert.ok(!c.some((l) => /^(start|restart|enable)\b/.test(l)), `upgrade: ${c.join(' | ')}`);
    assert.deepEqual(fs.readFileSync(inRoot('var/lib/plex-oidc/keyring.json')), keyBefore, 'the key is kept');

    clearCalls();
    await chroot(['dpkg', '--remove', 'plex-oidc']);
    c = calls();
    assert.ok(c.includes('stop plex-oidc.service'), `remove: ${c.join(' | ')}`);
    assert.ok(!fs.existsSync(inRoot('usr/bin/plex-oidc')));
    assert.ok(!fs.existsSync(inRoot('lib/systemd/system/plex-oidc.service')));
    assert.ok(fs.existsSync(inRoot('etc/plex-oidc/plex-oidc.example.ini')), 'remove keeps the conffile');
    assert.ok(fs.existsSync(inRoot('var/lib/plex-oidc/keyring.json')), 'remove keeps the state');

    await chroot(['dpkg', '--purge', 'plex-oidc']);
    assert.equal((await chroot(['dpkg-query', '-W', 'plex-oidc'], { allowFail: true })).status, 1, 'not known to dpkg');
    assert.ok(!fs.existsSync(inRoot('var/lib/plex-oidc')), 'purge deletes /var/lib/plex-oidc');
    assert.ok(!fs.existsSync(inRoot('etc/plex-oidc/plex-oidc.example.ini')), 'purge deletes the conffile');
    for (const f of await pkgFiles()) assert.ok(!fs.existsSync(inRoot(f)), `${f} is gone`);
    assert.ok(!fs.existsSync(inRoot('usr/share/doc/plex-oidc')));
    // The administrator's files stay; the user too (README.Debian).
    assert.ok(fs.existsSync(inRoot('etc/plex-oidc/plex-oidc.ini')));
    assert.equal((await chroot(['getent', 'passwd', 'plex-oidc'])).status, 0);
  });

  test('installed again after a purge, then purged without files of the administrator: nothing is left', async () => {
    fs.rmSync(inRoot('etc/plex-oidc'), { recursive: true, force: true });
    const uid = (await chroot(['id', '-u', 'plex-oidc'])).stdout;
    await chroot(['dpkg', '-i', '/tmp/plex-oidc.deb']);
    assert.equal((await chroot(['id', '-u', 'plex-oidc'])).stdout, uid, 'the same user');
    assert.equal(fs.statSync(inRoot('var/lib/plex-oidc')).mode & 0o7777, 0o700);
    await chroot(['dpkg', '--purge', 'plex-oidc']);
    assert.ok(!fs.existsSync(inRoot('etc/plex-oidc')), '/etc/plex-oidc is gone');
    assert.ok(!fs.existsSync(inRoot('var/lib/plex-oidc')), '/var/lib/plex-oidc is gone');
    const audit = await chroot(['dpkg', '--audit']);
    assert.equal(audit.stdout.trim(), '', 'dpkg --audit is clean');
  });
});

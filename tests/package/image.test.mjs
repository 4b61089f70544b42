// image.test.mjs - the container image, built from the Dockerfile and run
// with podman, the way etc/compose.yaml runs it.
//
// The base is a Debian 12 minbase root file system made by mmdebstrap from
// Debian's packages (lib.mjs), imported as a local image: no registry but
// Debian's is used. `podman build --pull=never --network host --isolation
// chroot` builds the Dockerfile on it, then the tests check:
//   - the size: the runtime stage adds at most 25 MB to its base; nothing
//     of the build (compiler, make, sources, objects, test tools) is left;
//   - a container started with the settings of etc/compose.yaml (read-only
//     configuration and root file system, the data volume, no
//     capabilities, the memory and process limits) runs as uid 10001,
//     answers /healthz, passes the image's health check and compose's, and
//     signs a user in (the fake plex.tv, Chromium on the login page,
//     openid-client as the relying party);
//   - its memory, measured by its control group, stays well under the
//     compose memory limit through a flood that fills the pending-login
//     store;
//   - `podman stop` ends it with exit code 0 within the drain time, a
//     request hanging;
//   - the signing key and the Plex client id survive a new container on the
//     same volume (same JWKS kid);
//   - etc/compose.yaml passes `docker-compose config`, every key of it is
//     one this test applies or checks, and etc/kubernetes.yaml agrees with
//     the image and compose.yaml.
//
// Containers run on the host's network namespace (the provider listens on
// 127.0.0.1 only, on a free port) with runc and cgroupfs: the settings
// these machines need. If podman cannot run a container at all, the
// container tests are skipped with podman's error (never counted as passed);
// with PLEX_OIDC_REQUIRE_PODMAN=1 (CI) that is a failure instead.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  freePort, launchBrowser, randomSecret, readLimits, relyingParty, request, sleep, startRpServer, tempDir, USERS,
  FakePlex,
} from '../e2e/lib/harness.mjs';
import { baseTar, mb, needTools, report, REPO, run, version, yamlDocs } from './lib.mjs';

const LIM = readLimits();
const BASE_IMAGE = 'localhost/plex-oidc-test-base:bookworm';
const IMAGE = 'localhost/plex-oidc:test';
const UID = 10001;
// The runtime stage's budget over its base (issue 14).
const ADDED_MAX = 25e6;
// podman's own options, then those of every `podman run`: runc with
// cgroupfs (crun refuses these machines' control groups), the host's
// network, and limits on open files and processes that the sandbox allows.
const PODMAN = ['--runtime', 'runc', '--cgroup-manager=cgroupfs'];
const RUN = ['--network', 'host', '--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096'];
const COMPOSE = path.join(REPO, 'etc/compose.yaml');
const K8S = path.join(REPO, 'etc/kubernetes.yaml');

const podman = (args, opts = {}) => run('podman', [...PODMAN, ...args], opts);

// ---------------------------------------------------------------- compose.yaml

// The service of etc/compose.yaml as written (relative paths kept).
async function composeService() {
  const [doc] = await yamlDocs(COMPOSE);
  const names = Object.keys(doc.services ?? {});
  assert.deepEqual(names, ['plex-oidc'], 'one service, plex-oidc');
  return { doc, svc: doc.services['plex-oidc'] };
}

// Keys of the service this test applies to its container, checks, or
// leaves to the engine on purpose. A new key in compose.yaml fails the test
// until it is handled here.
const COMPOSE_KEYS = {
  image: 'checked: plex-oidc, the tag of the build command',
  restart: 'the engine restarts it; not applicable to a test',
  ports: 'the test runs on the host network: checked to be 127.0.0.1:8080:8080',
  volumes: 'applied: the configuration and secrets read-only, the data volume',
  environment: 'applied',
  read_only: 'applied: --read-only',
  cap_drop: 'applied: --cap-drop',
  security_opt: 'applied: --security-opt',
  mem_limit: 'applied: --memory, and measured against',
  memswap_limit: 'applied: --memory-swap',
  pids_limit: 'applied: --pids-limit',
  stop_grace_period: 'applied: podman stop -t',
  healthcheck: 'its command is run in the container',
};

const bytes = (s) => {
  const m = /^(\d+)([kmg]?)b?$/i.exec(String(s).trim());
  assert.ok(m, `a size: ${s}`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()];
};
const seconds = (s) => {
  const m = /^(\d+)s$/.exec(String(s).trim());
  assert.ok(m, `a duration in seconds: ${s}`);
  return Number(m[1]);
};

// `podman run` options for compose's service settings; host paths and the
// volume name are the test's.
function composeRunArgs(svc, { dir, volume }) {
  const a = [];
  for (const v of svc.volumes) {
    const [src, dst, mode] = v.split(':');
    const host = src.startsWith('./') ? path.join(dir, src.slice(2)) : volume;
    if (!src.startsWith('./')) assert.equal(src, 'plex-oidc-data', `named volume ${src}`);
    a.push('-v', `${host}:${dst}${mode ? `:${mode}` : ''}`);
  }
  for (const [k, v] of Object.entries(svc.environment ?? {})) a.push('-e', `${k}=${v}`);
  if (svc.read_only) a.push('--read-only');
  for (const c of svc.cap_drop ?? []) a.push('--cap-drop', c);
  for (const s of svc.security_opt ?? []) a.push('--security-opt', s);
  if (svc.mem_limit) a.push('--memory', String(bytes(svc.mem_limit)));
  if (svc.memswap_limit) a.push('--memory-swap', String(bytes(svc.memswap_limit)));
  if (svc.pids_limit) a.push('--pids-limit', String(svc.pids_limit));
  return a;
}

describe('etc/compose.yaml and etc/kubernetes.yaml', () => {
  test('docker-compose config accepts compose.yaml; its keys are all handled by this test', async () => {
    needTools('docker-compose');
    const r = await run('docker-compose', ['-f', COMPOSE, 'config', '-q']);
    assert.equal(r.status, 0);
    const { doc, svc } = await composeService();
    for (const k of Object.keys(svc)) assert.ok(COMPOSE_KEYS[k], `compose key ${k} is not handled by image.test.mjs`);
    assert.equal(svc.image, 'plex-oidc');
    assert.deepEqual(svc.ports, ['127.0.0.1:8080:8080']);
    assert.ok(svc.volumes.includes('./plex-oidc.ini:/etc/plex-oidc/plex-oidc.ini:ro'), 'configuration, read-only');
    assert.ok(svc.volumes.some((v) => /^\.\/secrets:\/etc\/plex-oidc\/secrets:ro$/.test(v)), 'secrets, read-only');
    assert.ok(svc.volumes.includes('plex-oidc-data:/var/lib/plex-oidc'), 'the data volume');
    assert.ok('plex-oidc-data' in (doc.volumes ?? {}), 'the volume is declared');
    assert.equal(svc.read_only, true);
    assert.deepEqual(svc.cap_drop, ['ALL']);
    assert.ok(bytes(svc.mem_limit) > 0 && bytes(svc.memswap_limit) === bytes(svc.mem_limit), 'no swap beyond the limit');
    assert.ok(svc.pids_limit > 0);
    // Longer than the drain, so a stop is never a SIGKILL.
    assert.ok(seconds(svc.stop_grace_period) * 1000 > LIM.LIM_HTTP_DRAIN_MS);
    assert.match(svc.healthcheck.test.join(' '), /^CMD curl .*http:\/\/127\.0\.0\.1:8080\/healthz$/);
    // A broken file is refused: the check can fail.
    const dir = await tempDir('plex-oidc-compose-');
    const bad = path.join(dir, 'compose.yaml');
    fs.writeFileSync(bad, fs.readFileSync(COMPOSE, 'utf8').replace('read_only:', 'read_onyl:'));
    const b = await run('docker-compose', ['-f', bad, 'config', '-q'], { allowFail: true });
    assert.notEqual(b.status, 0, 'docker-compose config refuses an unknown key');
  });

  test('kubernetes.yaml: a Secret, a volume claim, one Deployment and a Service that agree with the image', async () => {
    const docs = await yamlDocs(K8S);
    const kind = (k) => docs.filter((d) => d?.kind === k);
    assert.deepEqual(docs.map((d) => d.kind).sort(), ['Deployment', 'PersistentVolumeClaim', 'Secret', 'Service']);
    const [secret] = kind('Secret');
    const [pvc] = kind('PersistentVolumeClaim');
    const [dep] = kind('Deployment');
    const [svc] = kind('Service');
    assert.equal(dep.spec.replicas, 1, 'one replica: codes and tokens live in memory');
    assert.equal(dep.spec.strategy.type, 'Recreate');
    const labels = dep.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(dep.spec.selector.matchLabels)) assert.equal(labels[k], v);
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(labels[k], v, 'the Service selects the pods');
    const pod = dep.spec.template.spec;
    assert.equal(pod.securityContext.runAsUser, UID);
    assert.equal(pod.securityContext.runAsGroup, UID);
    assert.equal(pod.securityContext.fsGroup, UID);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > LIM.LIM_HTTP_DRAIN_MS);
    assert.equal(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.deepEqual(c.args, ['--config', '/etc/plex-oidc/plex-oidc.ini']);
    assert.equal(c.ports[0].containerPort, 8080);
    assert.equal(svc.spec.ports[0].targetPort, c.ports[0].name);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
    for (const p of [c.readinessProbe, c.livenessProbe]) {
      assert.equal(p.httpGet.path, '/healthz');
      assert.equal(p.httpGet.port, c.ports[0].name);
    }
    const { svc: compose } = await composeService();
    assert.equal(bytes(c.resources.limits.memory.replace(/i$/, '')), bytes(compose.mem_limit), 'the same limit as compose');
    const mounts = Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m]));
    assert.equal(mounts['/etc/plex-oidc']?.readOnly, true);
    assert.ok(mounts['/var/lib/plex-oidc']);
    const vols = Object.fromEntries(pod.volumes.map((v) => [v.name, v]));
    assert.equal(vols[mounts['/etc/plex-oidc'].name].secret.secretName, secret.metadata.name);
    assert.equal(vols[mounts['/var/lib/plex-oidc'].name].persistentVolumeClaim.claimName, pvc.metadata.name);
    assert.deepEqual(pvc.spec.accessModes, ['ReadWriteOnce']);
    // The configuration in the Secret names a secret file the Secret holds.
    const ini = secret.stringData['plex-oidc.ini'];
    const file = /^secret_file\s*=\s*(\S+)/m.exec(ini)?.[1];
    assert.ok(file && secret.stringData[file], `secret_file ${file} is in the Secret`);
    assert.match(ini, /^issuer\s*=\s*https:\/\//m);
  });
});

// ---------------------------------------------------------------- podman

// Can podman run a container here? null when it can, else why not. The
// base image is imported first (a failure there is a failure, not a skip).
async function podmanProblem() {
  needTools('podman', 'runc');
  const tar = await baseTar();
  // An earlier run's images go first, so that none is left behind untagged
  // (the build uses no cache).
  await podman(['rmi', '--force', IMAGE, BASE_IMAGE], { allowFail: true });
  await podman(['import', '--quiet', tar, BASE_IMAGE], { timeoutMs: 300000 });
  const r = await podman(['run', '--rm', ...RUN, BASE_IMAGE, 'true'], { allowFail: true, timeoutMs: 120000 });
  return r.status === 0 ? null : `podman cannot run a container here: ${r.stderr.trim() || `exit ${r.status}`}`;
}

const problem = await podmanProblem();
const required = process.env.PLEX_OIDC_REQUIRE_PODMAN === '1';
// Each container test is skipped (and counted as skipped) when podman
// cannot run containers, unless they are required.
const skip = problem && !required ? problem : false;
const needsPodman = { skip: problem ?? false };

const inspect = async (what, format) => (await podman([what === 'image' ? 'image' : 'container', 'inspect',
  '--format', format, ...(what === 'image' ? [IMAGE] : [what])])).stdout.trim();

describe('the container image', () => {
  const cleanup = { containers: new Set(), volumes: new Set() };
  let fake;
  let rpServer;
  let browser;
  let compose;
  let dir;
  let port;
  let volume;
  let client;
  let ct;

  before(async () => {
    if (problem) return;
    const t0 = Date.now();
    await podman(['build', '--pull=never', '--network', 'host', '--isolation', 'chroot', '--format', 'docker',
      '--layers=false', '--build-arg', `BASE=${BASE_IMAGE}`, '-t', IMAGE, '.'], { timeoutMs: 900000 });
    report(null, `image: podman build ${((Date.now() - t0) / 1000).toFixed(1)} s (both stages, no cache)`);
    compose = (await composeService()).svc;
    fake = await FakePlex.start();
    rpServer = await startRpServer();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const c of cleanup.containers) await podman(['rm', '-f', '-t', '0', c], { allowFail: true });
    for (const v of cleanup.volumes) await podman(['volume', 'rm', '-f', v], { allowFail: true });
    await browser?.close();
    await rpServer?.close();
    await fake?.stop();
  });

  // Starts a container of the image with compose's settings on the test's
  // configuration and volume; resolves when /healthz answers.
  async function start(name) {
    const args = ['run', '-d', '--name', name, ...RUN, ...composeRunArgs(compose, { dir, volume }),
      // On the host's network: loopback only, on the test's port. The test
      // plays the reverse proxy (X-Forwarded-For from 127.0.0.1).
      '-e', `PLEX_OIDC_SERVER_LISTEN=127.0.0.1:${port}`, '-e', 'PLEX_OIDC_SERVER_TRUSTED_PROXIES=127.0.0.1',
      IMAGE];
    cleanup.containers.add(name);
    await podman(args);
    const deadline = Date.now() + 30000;
    for (;;) {
      try {
        const r = await request(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 2000 });
        if (r.status === 200) return name;
      } catch { /* not yet */ }
      const state = await inspect(name, '{{.State.Status}}');
      if (state !== 'running' || Date.now() > deadline) {
        const logs = await podman(['logs', name], { allowFail: true });
        throw new Error(`container ${name} is ${state}, /healthz does not answer:\n${logs.stdout}${logs.stderr}`);
      }
      await sleep(100);
    }
  }

  test('podman runs a container here', { skip }, () => {
    assert.equal(problem, null, required ? `${problem} (PLEX_OIDC_REQUIRE_PODMAN=1)` : problem);
  });

  test('the image: its size, its user and health check, and nothing of the build', needsPodman, async (t) => {
    const size = Number(await inspect('image', '{{.Size}}'));
    const base = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', BASE_IMAGE])).stdout.trim());
    const added = size - base;
    report(t, `image: ${mb(size)}, base ${mb(base)}, runtime stage adds ${mb(added)} (at most ${mb(ADDED_MAX)})`);
    assert.ok(added > 0 && added <= ADDED_MAX, `the runtime stage adds ${added} bytes`);
    assert.equal(await inspect('image', '{{.Config.User}}'), 'plex-oidc:plex-oidc');
    assert.deepEqual(JSON.parse(await inspect('image', '{{json .Config.Entrypoint}}')), ['plex-oidc']);
    assert.deepEqual(JSON.parse(await inspect('image', '{{json .Config.Cmd}}')), ['--config', '/etc/plex-oidc/plex-oidc.ini']);
    const hc = JSON.parse(await inspect('image', '{{json .Config.Healthcheck}}'));
    assert.equal(hc?.Test?.[0], 'CMD-SHELL', 'a HEALTHCHECK (podman build --format docker keeps it)');
    assert.ok(Object.keys(JSON.parse(await inspect('image', '{{json .Config.Volumes}}'))).includes('/var/lib/plex-oidc'));

    // Nothing of the build stage: no compiler, linker, make, headers,
    // sources, objects or test tools; only the runtime packages.
    const script = [
      'for c in cc gcc cpp c99 clang ld as make pkg-config node npm chromium git; do',
      '  command -v $c >/dev/null && echo "tool: $c"; done',
      'for d in /src /usr/include/openssl /usr/include/curl /usr/lib/gcc; do [ -e $d ] && echo "path: $d"; done',
      // Debian's documentation has examples (a Makefile, .c files): not ours.
      'find / -xdev -path /usr/share/doc -prune -o \\( -name "*.o" -o -name "*.a" -o -name Makefile -o -name "*.test.mjs" -o -name fake-plex.mjs \\',
      '  -o -name "*.c" -o -name node_modules \\) -print 2>/dev/null | sed "s/^/file: /"',
      'dpkg-query -W -f "\\${Package}\\n" | grep -E "(-dev$|^gcc(-[0-9]+)?$|^cpp|^make$|^build-essential$|^binutils|^nodejs|^chromium)" \\',
      '  | sed "s/^/package: /"',
      'echo "binary: $(command -v plex-oidc)"; plex-oidc --version; id -u; id -g',
    ].join('\n');
    const r = await podman(['run', '--rm', ...RUN, '--entrypoint', '/bin/sh', IMAGE, '-c', script]);
    const lines = r.stdout.trim().split('\n');
    const found = lines.filter((l) => /^(tool|path|file|package): /.test(l));
    assert.deepEqual(found, [], 'build leftovers in the image');
    assert.deepEqual(lines.slice(-4), ['binary: /usr/local/bin/plex-oidc', `plex-oidc ${version()}`, String(UID), String(UID)]);
  });

  test('a sign-in through the container: uid 10001, read-only configuration, the data volume, health checks', needsPodman, async (t) => {
    dir = await tempDir('plex-oidc-image-');
    port = await freePort();
    volume = `plex-oidc-test-${process.pid}`;
    cleanup.volumes.add(volume);
    await podman(['volume', 'create', volume]);
    // The configuration as an operator writes it: a client secret in a
    // file under secrets/, owned by the container's user, mode 0400.
    const secret = randomSecret();
    client = { id: 'app', secret, redirect_uris: [`${rpServer.base}/cb`] };
    fs.mkdirSync(path.join(dir, 'secrets'), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'secrets/app.secret'), `${secret}\n`, { mode: 0o400 });
    fs.chownSync(path.join(dir, 'secrets/app.secret'), UID, UID);
    fs.writeFileSync(path.join(dir, 'plex-oidc.ini'), [
      '[server]', 'listen = 127.0.0.1:1', `issuer = http://127.0.0.1:${port}`, 'data_dir = /nonexistent',
      '[plex]', 'server_id = 0123456789abcdef0123456789abcdef01234567', `api_url = ${fake.url}`,
      `auth_url = ${fake.url}/auth`,
      '[client.app]', 'name = Container App', 'secret_file = secrets/app.secret', `redirect_uris = ${rpServer.base}/cb`,
      '',
    ].join('\n'), { mode: 0o644 });
    ct = await start(`plex-oidc-test-${process.pid}-1`);
    const base = `http://127.0.0.1:${port}`;

    // The provider is PID 1 of the container, as uid and gid 10001, with no
    // capabilities and no way to gain privileges.
    const status = (await podman(['exec', ct, 'cat', '/proc/1/status'])).stdout;
    assert.match(status, new RegExp(`^Uid:\\s+${UID}\\s+${UID}\\s+${UID}\\s+${UID}$`, 'm'));
    assert.match(status, new RegExp(`^Gid:\\s+${UID}\\s+${UID}\\s+${UID}\\s+${UID}$`, 'm'));
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match((await podman(['exec', ct, 'cat', '/proc/1/cmdline'])).stdout, /^plex-oidc\0--config\0/);

    // Read-only: the configuration and the root file system, even for root
    // in the container.
    for (const cmd of ['echo x >> /etc/plex-oidc/plex-oidc.ini', 'touch /usr/local/bin/x', 'touch /etc/plex-oidc/x']) {
      const w = await podman(['exec', '--user', '0', ct, 'sh', '-c', cmd], { allowFail: true });
      assert.notEqual(w.status, 0, `${cmd} must fail`);
      assert.match(w.stderr, /Read-only file system/, cmd);
    }

    // The image's health check, run by podman, and compose's command.
    const hc = await podman(['healthcheck', 'run', ct], { allowFail: true });
    assert.equal(hc.status, 0, `podman healthcheck run: ${hc.stdout}${hc.stderr}`);
    assert.equal(await inspect(ct, '{{.State.Healthcheck.Status}}'), 'healthy');
    const composeCheck = compose.healthcheck.test.slice(1).map((a) => a.replace('127.0.0.1:8080/', `127.0.0.1:${port}/`));
    assert.equal((await podman(['exec', ct, ...composeCheck], { allowFail: true })).status, 0, 'compose health check');
    // ... and both fail where nothing answers.
    const imageCheck = JSON.parse(await inspect('image', '{{json .Config.Healthcheck.Test}}'))[1];
    const down = await podman(['exec', '-e', 'PLEX_OIDC_SERVER_LISTEN=127.0.0.1:1', ct, 'sh', '-c', imageCheck],
      { allowFail: true });
    assert.notEqual(down.status, 0, 'the image health check fails when nothing answers');

    // The whole sign-in: openid-client discovers the provider, Chromium
    // shows the login page, Alice approves in the Plex popup, the relying
    // party redeems the code and verifies the ID token.
    const rp = await relyingParty({ base, client: () => client });
    const { o, config } = rp;
    const verifier = o.randomPKCECodeVerifier();
    const state = o.randomState();
    const nonce = o.randomNonce();
    const url = o.buildAuthorizationUrl(config, {
      redirect_uri: `${rpServer.base}/cb`, scope: 'openid profile email', state, nonce,
      code_challenge: await o.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const context = await browser.newContext();
    let tokens;
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      await page.waitForSelector('#signin');
      assert.match(await page.textContent('body'), /Container App/);
      const popupPromise = page.waitForEvent('popup');
      await page.click('#signin');
      const popup = await popupPromise;
      await popup.waitForSelector('#as-alice');
      await popup.click('#as-alice');
      await page.waitForURL((u) => u.href.startsWith(`${rpServer.base}/cb?`), { timeout: 30000 });
      tokens = await o.authorizationCodeGrant(config, new URL(page.url()), {
        pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
      });
    } finally {
      await context.close();
    }
    const claims = tokens.claims();
    assert.equal(claims.iss, base);
    assert.equal(claims.aud, 'app');
    assert.equal(claims.sub, USERS.alice.uuid);
    assert.equal(claims.email, USERS.alice.email);
    const info = await o.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.equal(info.name, USERS.alice.name);

    // The state is in the volume, owned by the container's user, private.
    const mount = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume])).stdout.trim();
    const key = fs.statSync(path.join(mount, 'keyring.json'));
    assert.equal(key.uid, UID);
    assert.equal(key.mode & 0o777, 0o600);
    assert.ok(fs.readFileSync(path.join(mount, 'plex-client-id'), 'utf8').trim().length > 0);
    const m = await memory(ct);
    report(t, `container after a sign-in: cgroup memory ${mib(m.current)} (peak ${mib(m.peak)}), ` +
      `VmRSS ${mib(m.rss)}, ${m.threads} threads; limit ${mib(m.limit)}`);
    assert.equal(m.limit, bytes(compose.mem_limit), 'the compose memory limit is applied');
  });

  test('memory through a flood that fills the pending-login store stays well under the compose limit', needsPodman, async (t) => {
    assert.ok(ct, 'the container of the sign-in test');
    // As in tests/e2e/load.test.mjs: 2 KiB state and nonce, so the byte
    // budget (LIM_LOGINS_BYTES_MAX) rather than the count bounds the store.
    const n = 10000;
    const big = (c) => c.repeat(LIM.LIM_PARAM_LEN_MAX / c.length);
    const q = new URLSearchParams({
      client_id: 'app', redirect_uri: `${rpServer.base}/cb`, response_type: 'code', scope: 'openid',
      state: big('st'), nonce: big('no'), code_challenge: 'E9Melhoe2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const url = `http://127.0.0.1:${port}/authorize?${q}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const statuses = {};
    const t0 = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`; // a header value only
        const s = await new Promise((resolve, reject) => {
          const req = http.get(url, { agent, headers: { 'x-forwarded-for': ip }, timeout: 30000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          });
          req.on('timeout', () => req.destroy(new Error('no answer in 30 s')));
          req.on('error', reject);
        });
        statuses[s] = (statuses[s] ?? 0) + 1;
      }
    };
    try {
      await Promise.all(Array.from({ length: 32 }, worker));
    } finally {
      agent.destroy();
    }
    const m = await memory(ct);
    const limit = bytes(compose.mem_limit);
    report(t, `container after ${n} authorization requests of ${url.length} bytes in ` +
      `${((Date.now() - t0) / 1000).toFixed(1)} s: cgroup memory peak ${mib(m.peak)}, VmHWM ${mib(m.hwm)}, ` +
      `limit ${mib(limit)}`);
    assert.deepEqual(statuses, { 200: n });
    assert.equal(await inspect(ct, '{{.State.OOMKilled}}'), 'false');
    // A quarter of the limit stays free: a regression shows here before it
    // shows as an out-of-memory kill in production.
    // The control group charges a shared library's pages to the first group
    // that read them (here perhaps another container of the test), so the
    // process's own high-water mark, which counts them, is bounded too.
    const most = Math.max(m.peak, m.hwm);
    assert.ok(most <= 0.75 * limit, `peak ${m.peak}, VmHWM ${m.hwm}: over 3/4 of the limit ${limit}`);
    assert.equal((await request(`http://127.0.0.1:${port}/healthz`)).status, 200);
  });

  test('podman stop ends it with exit code 0 within the drain time, a request hanging', needsPodman, async (t) => {
    assert.ok(ct, 'the container of the sign-in test');
    // A request whose head never ends: the provider gives it the drain
    // time, then exits.
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    sock.on('error', () => {});
    sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await sleep(200);
    const grace = seconds(compose.stop_grace_period);
    const t0 = Date.now();
    await podman(['stop', '-t', String(grace), ct]);
    const ms = Date.now() - t0;
    sock.destroy();
    report(t, `podman stop: ${ms} ms with a request hanging (drain ${LIM.LIM_HTTP_DRAIN_MS} ms, grace ${grace} s)`);
    assert.equal(await inspect(ct, '{{.State.ExitCode}}'), '0');
    assert.ok(ms < LIM.LIM_HTTP_DRAIN_MS + 3000, `stopped after ${ms} ms`);
    const logs = (await podman(['logs', ct])).stderr;
    assert.match(logs, /received SIGTERM, shutting down/);
    assert.match(logs, /INFO {2}stopped\s*$/);
  });

  test('the signing key and the Plex client id survive a new container on the same volume', needsPodman, async () => {
    assert.ok(ct, 'the container of the sign-in test');
    const mount = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume])).stdout.trim();
    const id = fs.readFileSync(path.join(mount, 'plex-client-id'), 'utf8');
    const ring = fs.readFileSync(path.join(mount, 'keyring.json'), 'utf8');
    const kidOf = async () => (await request(`http://127.0.0.1:${port}/jwks`)).json().keys.map((k) => k.kid);

    await podman(['start', ct]);
    await waitHealthy(port);
    const before = await kidOf();
    assert.ok(before.length >= 1, 'the JWKS lists the current key (and the next one)');
    await podman(['stop', '-t', '10', ct]);
    await podman(['rm', ct]);
    cleanup.containers.delete(ct);

    const ct2 = await start(`plex-oidc-test-${process.pid}-2`);
    assert.deepEqual(await kidOf(), before, 'the same kid from the new container');
    assert.equal(fs.readFileSync(path.join(mount, 'plex-client-id'), 'utf8'), id);
    assert.equal(fs.readFileSync(path.join(mount, 'keyring.json'), 'utf8'), ring, 'the key ring is kept as it was');
    assert.doesNotMatch((await podman(['logs', ct2])).stderr, /created the key ring/);
    await podman(['stop', '-t', '10', ct2]);
    assert.equal(await inspect(ct2, '{{.State.ExitCode}}'), '0');
  });
});

async function waitHealthy(port) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    try {
      if ((await request(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 2000 })).status === 200) return;
    } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`no /healthz on port ${port}`);
}

const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;

// The container's memory as its control group counts it (page cache
// included), and its main process's: {current, peak, limit, rss, hwm,
// threads} in bytes.
async function memory(ct) {
  const pid = Number(await inspect(ct, '{{.State.Pid}}'));
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
  const cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = cg.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('memory'));
  const read = (f) => Number(fs.readFileSync(f, 'utf8').trim());
  let current;
  let peak;
  let limit;
  if (v1) {
    const d = path.join('/sys/fs/cgroup/memory', v1[2]);
    current = read(path.join(d, 'memory.usage_in_bytes'));
    peak = read(path.join(d, 'memory.max_usage_in_bytes'));
    limit = read(path.join(d, 'memory.limit_in_bytes'));
  } else {
    const d = path.join('/sys/fs/cgroup', cg.find((l) => l.startsWith('0::')).slice(3));
    current = read(path.join(d, 'memory.current'));
    peak = fs.existsSync(path.join(d, 'memory.peak')) ? read(path.join(d, 'memory.peak')) : current;
    limit = read(path.join(d, 'memory.max'));
  }
  return { current, peak, limit, rss: kib('VmRSS'), hwm: kib('VmHWM'), threads: Number(/^Threads:\s+(\d+)/m.exec(status)[1]) };
}

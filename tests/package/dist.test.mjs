// dist.test.mjs - the source tarball (make dist).
//
// It must hold every file git tracks (so `make test` in it runs what a
// checkout runs), under plex-oidc-VERSION/, and come out the same twice.
// Unpacked into an empty directory, without git: `make` builds, --version
// prints VERSION, `make unit` passes, and a black-box test file runs with
// the test packages installed from the tarball's lock file. (The whole
// `make test` takes CI's 15 minutes; the file list is what makes it the
// same as in the checkout, where CI runs it.)
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { tempDir } from '../e2e/lib/harness.mjs';
import { report, REPO, run, version } from './lib.mjs';

const sha256 = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
let tarball;
let name;

test('make dist: every tracked file under plex-oidc-VERSION/, the same bytes twice', async (t) => {
  const t0 = Date.now();
  const r = await run('make', ['--no-print-directory', 'dist']);
  tarball = r.stdout.trim().split('\n').at(-1);
  name = `plex-oidc-${version()}`;
  assert.equal(tarball, path.join(REPO, `build/${name}.tar.gz`));
  const first = sha256(tarball);
  await run('make', ['--no-print-directory', 'dist']);
  assert.equal(sha256(tarball), first, 'reproducible');
  report(t, `make dist: ${path.basename(tarball)}, ${fs.statSync(tarball).size} bytes, ` +
    `${((Date.now() - t0) / 2000).toFixed(1)} s`);

  const listed = (await run('tar', ['-tzf', tarball])).stdout.trim().split('\n');
  for (const f of listed) assert.ok(f.startsWith(`${name}/`), f);
  const tracked = (await run('git', ['ls-files', '-z'])).stdout.split('\0').filter((f) => f && fs.existsSync(path.join(REPO, f)));
  assert.deepEqual(listed.map((f) => f.slice(name.length + 1)).sort(), tracked.sort());
  for (const f of ['VERSION', 'Makefile', 'scripts/install-deps', 'tests/e2e/package-lock.json', 'src/main.c']) {
    assert.ok(listed.includes(`${name}/${f}`), f);
  }
});

test('unpacked in an empty directory: make, --version, make unit, a black-box test file', async (t) => {
  assert.ok(tarball, 'the tarball of the first test');
  const dir = await tempDir('plex-oidc-dist-');
  await run('tar', ['-xzf', tarball, '-C', dir]);
  const src = path.join(dir, name);
  assert.ok(!fs.existsSync(path.join(src, '.git')) && !fs.existsSync(path.join(src, 'build')));
  // Not a git checkout: nothing may ask git.
  // NODE_TEST_CONTEXT would make the inner node --test report to this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));
  Object.assign(env, { GIT_DIR: path.join(dir, 'no-git'), GIT_CEILING_DIRECTORIES: dir });
  const t0 = Date.now();
  await run('make', ['-j2'], { cwd: src, env, timeoutMs: 600000 });
  const tMake = Date.now() - t0;
  const v = await run(path.join(src, 'build/plex-oidc'), ['--version'], { cwd: src });
  assert.equal(v.stdout, `plex-oidc ${version()}\n`);
  const u = await run('make', ['unit'], { cwd: src, env, timeoutMs: 600000 });
  assert.match(u.stdout, /^unit: \d+ passed, 0 failed$/m);
  await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: path.join(src, 'tests/e2e'), timeoutMs: 300000 });
  const e = await run('node', ['--test', 'tests/e2e/cli.test.mjs'], {
    cwd: src, env: { ...env, PLEX_OIDC_BIN: path.join(src, 'build/plex-oidc') }, timeoutMs: 600000,
  });
  assert.match(e.stdout, /^# fail 0$/m);
  assert.match(e.stdout, /^# pass [1-9]\d*$/m);
  report(t, `from the tarball: make ${(tMake / 1000).toFixed(1)} s, then make unit, npm ci and cli.test.mjs: ` +
    `${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
});

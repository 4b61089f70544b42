// lib.mjs - helpers for the packaging tests (tests/package/run): running
// commands, the Debian base root file system, podman, the run report.
//
// The base is a Debian 12 minbase root file system made by mmdebstrap from
// Debian's own packages (PLEX_OIDC_BASE_TAR, made by tests/package/run, or
// made here when the variable is unset). The image test imports it into
// podman as the image's base; the package test unpacks it into a directory
// and installs the .deb there with chroot.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { REPO } from '../e2e/lib/harness.mjs';

export { REPO };

const OUT_MAX = 4 * 1024 * 1024;

// Runs cmd with args; resolves to {status, signal, stdout, stderr, ms}.
// Throws when it cannot start, when it runs past timeoutMs (killed), or,
// unless allowFail, when it exits non-zero: the error carries the output.
export function run(cmd, args, { timeoutMs = 120000, allowFail = false, env, cwd = REPO, input } = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd, env: env ?? process.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { if (stdout.length < OUT_MAX) stdout += d; });
    child.stderr.on('data', (d) => { if (stderr.length < OUT_MAX) stderr += d; });
    const t = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(t);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.once('close', (status, signal) => {
      clearTimeout(t);
      const r = { status, signal, stdout, stderr, ms: Date.now() - started };
      const line = `${cmd} ${args.join(' ')}`.slice(0, 400);
      if (timedOut) reject(new Error(`${line}: still running after ${timeoutMs} ms\n${tail(stdout, stderr)}`));
      else if (!allowFail && status !== 0) reject(new Error(`${line}: exit ${status ?? signal}\n${tail(stdout, stderr)}`));
      else resolve(r);
    });
    if (input !== undefined) {
      child.stdin.on('error', () => {}); // it may exit without reading
      child.stdin.end(input);
    }
  });
}

function tail(stdout, stderr) {
  const last = (s) => s.split('\n').slice(-40).join('\n');
  return `--- stdout ---\n${last(stdout)}\n--- stderr ---\n${last(stderr)}`;
}

export function which(cmd) {
  for (const d of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(d || '.', cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return null;
}

// The tools a test needs, or an error naming the install command.
export function needTools(...tools) {
  const missing = tools.filter((t) => !which(t));
  if (missing.length) {
    throw new Error(`missing: ${missing.join(', ')} (scripts/install-deps package installs them)`);
  }
}

export const BUILD_DIR = path.join(REPO, 'build/package');

// The path of the Debian 12 minbase root file system tarball, made with
// mmdebstrap when it is not there yet.
export async function baseTar() {
  const tar = process.env.PLEX_OIDC_BASE_TAR || path.join(BUILD_DIR, 'bookworm-minbase.tar');
  if (!fs.existsSync(tar)) {
    needTools('mmdebstrap');
    fs.mkdirSync(path.dirname(tar), { recursive: true });
    const tmp = `${tar}.tmp-${process.pid}.tar`;
    await run('mmdebstrap', ['--quiet', '--variant=minbase', '--format=tar',
      '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr', 'bookworm', tmp], { timeoutMs: 600000 });
    fs.renameSync(tmp, tar);
  }
  return tar;
}

// The VERSION file: the version everything carries.
export function version() {
  return fs.readFileSync(path.join(REPO, 'VERSION'), 'utf8').trim();
}

// YAML to plain objects, with Debian's python3-yaml (docker-compose
// depends on it). Returns the list of documents.
export async function yamlDocs(file) {
  const r = await run('/usr/bin/python3', ['-c',
    'import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))', file]);
  return JSON.parse(r.stdout);
}

// Lines for the run report (tests/package/run prints it at the end).
// t: the test context, or null in a hook.
export function report(t, line) {
  if (t) t.diagnostic(line);
  else console.log(`# ${line}`);
  const file = process.env.PLEX_OIDC_PACKAGE_REPORT;
  if (file) fs.appendFileSync(file, `${line}\n`);
}

export const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

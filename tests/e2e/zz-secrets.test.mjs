// zz-secrets.test.mjs - runs last (files run in name order, one at a time):
// no log of any plex-oidc process of the whole black-box run contains any
// secret the run used. The harness records each secret it sees (client
// secrets when it writes a configuration, codes, code verifiers, access,
// ID and refresh tokens, Plex tokens, the browser-binding and setup state
// cookies) and each log path in the run directory scripts/run-e2e makes
// (PLEX_OIDC_E2E_RUN_DIR); see "The run-wide secret registry" in
// lib/harness.mjs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { findSecrets, readRunRegistry, RUN_DIR } from './lib/harness.mjs';

// Run outside scripts/run-e2e there is no run directory: that is a failure
// (with the reason), not a skip, so the check can never silently not run.
function needRunDir() {
  assert.ok(RUN_DIR, 'PLEX_OIDC_E2E_RUN_DIR is not set: run the suite with scripts/run-e2e');
}

// Every log of the run: the recorded paths and whatever is in RUN_DIR/logs.
function allLogs() {
  const { logs } = readRunRegistry();
  const files = new Set(logs);
  const d = path.join(RUN_DIR, 'logs');
  if (fs.existsSync(d)) for (const f of fs.readdirSync(d)) files.add(path.join(d, f));
  return [...files].sort();
}

// JWTs are also looked for by their payload and signature, so a logged
// part alone is caught (the header is not secret: the same for all).
function needles(secrets) {
  const out = new Set();
  for (const s of secrets) {
    out.add(s);
    if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(s)) for (const part of s.split('.').slice(1)) if (part.length >= 40) out.add(part);
  }
  return [...out];
}

test('the run recorded secrets and logs', () => {
  needRunDir();
  const { secrets } = readRunRegistry();
  const logs = allLogs();
  assert.ok(secrets.length >= 10, `only ${secrets.length} secrets recorded: is the registry wired up?`);
  assert.ok(logs.length >= 2, `only ${logs.length} logs recorded`);
  const gone = logs.filter((f) => !fs.existsSync(f));
  assert.deepEqual(gone, [], 'recorded logs that no longer exist cannot be checked');
  const sizes = logs.map((f) => (fs.existsSync(f) ? fs.statSync(f).size : 0));
  assert.ok(sizes.filter((n) => n > 0).length >= 2, 'the logs have content');
  const text = logs.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  assert.match(text, / id=[0-9a-f]{16} /, 'request lines were logged');
});

test('the check finds a planted secret', () => {
  needRunDir();
  const { secrets } = readRunRegistry();
  assert.ok(secrets.length > 0);
  const s = secrets[Math.floor(secrets.length / 2)];
  const text = `2026-01-01T00:00:00.000Z INFO  GET /token 200 1.000ms id=0123456789abcdef peer=127.0.0.1 ${s}\n`;
  assert.deepEqual(findSecrets(text, needles([s])).length > 0, true);
});

test('no log of the whole run contains a secret the run used', () => {
  needRunDir();
  const all = needles(readRunRegistry().secrets);
  const leaks = [];
  for (const file of allLogs()) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    for (const s of findSecrets(text, all)) {
      const line = text.split('\n').find((l) => l.includes(s));
      leaks.push(`${path.basename(file)}: ${s.slice(0, 6)}… in: ${line.replace(s, `${s.slice(0, 6)}…`).slice(0, 240)}`);
    }
  }
  assert.deepEqual(leaks, [], `secrets in logs:\n${leaks.join('\n')}`);
});

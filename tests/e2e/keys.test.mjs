// keys.test.mjs - `plex-oidc rotate-keys --config FILE [--force]` as an
// operator runs it (docs/OPERATIONS.md, "Keys and rotation"): the real
// binary on real data directories. A data_dir a running provider made
// (signing-key.pem, plex-client-id) is taken over with the kid unchanged;
// rotations are refused until the next key has been published long enough,
// then move next -> current -> previous; a lost or damaged ring is a clear
// error and never replaced behind the operator's back; --force creates new
// keys when asked. The key ring file itself is checked with Node's crypto:
// every PEM key gives the kid next to it (RFC 7638 / RFC 8037 thumbprints
// computed here, not by the code under test).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, FakePlex, Provider, randomSecret, recordSecret, runLogPath, tempDir } from './lib/harness.mjs';

const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEX_OIDC_')));

let dir;
let cliLog;

before(async () => {
  dir = await tempDir('plex-oidc-keys-');
  cliLog = runLogPath(dir, 'rotate-keys-output.log');
});

function run(args) {
  const r = spawnSync(BIN, args, { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 60000 });
  assert.equal(r.error, undefined, String(r.error));
  fs.appendFileSync(cliLog, `$ plex-oidc ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  return r;
}

// A configuration whose data_dir is dataDir, with one client per algorithm
// in algs.
function config(name, dataDir, algs = ['RS256']) {
  const file = path.join(dir, name);
  const lines = ['[server]', 'listen = 127.0.0.1:9', 'issuer = https://auth.example.com', `data_dir = ${dataDir}`,
    '[plex]', 'server_id = 0123456789abcdef', 'owner_id = 22526914'];
  algs.forEach((alg, i) => {
    const secret = randomSecret();
    recordSecret(secret);
    lines.push(`[client.c${i}]`, `secret = ${secret}`, 'redirect_uris = https://app.example.com/cb',
      `id_token_signed_response_alg = ${alg}`);
  });
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

// RFC 7638 §3 (RSA, EC) and RFC 8037 §2 (OKP): the required members in
// lexicographic order, no whitespace, SHA-256, base64url.
function thumbprint(jwk) {
  const members = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] }[jwk.kty];
  const canon = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return crypto.createHash('sha256').update(canon).digest('base64url');
}

const KTY = { RS256: 'RSA', ES256: 'EC', EdDSA: 'OKP' };

// Reads DATA_DIR/keyring.json and checks it with Node's crypto: mode 0600,
// each key's PEM is a private key of its algorithm whose thumbprint is its
// kid, sealing keys are 32 bytes. Returns {signing, sealing, byRole(alg, role)}.
function readRing(dataDir) {
  const file = path.join(dataDir, 'keyring.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'keyring.json is 0600');
  const ring = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(ring.format, 'plex-oidc key ring');
  assert.equal(ring.version, 1);
  for (const k of ring.signing) {
    const priv = crypto.createPrivateKey(k.pem);
    const jwk = priv.export({ format: 'jwk' });
    assert.equal(jwk.kty, KTY[k.alg], `${k.alg} key type`);
    if (k.alg === 'ES256') assert.equal(jwk.crv, 'P-256');
    if (k.alg === 'EdDSA') assert.equal(jwk.crv, 'Ed25519');
    if (k.alg === 'RS256') assert.ok(priv.asymmetricKeyDetails.modulusLength >= 2048);
    assert.equal(thumbprint(jwk), k.kid, `${k.alg} ${k.role}: the kid is the key's thumbprint`);
    recordSecret(k.pem.split('\n').filter((l) => l && !l.startsWith('-----')));
  }
  for (const s of ring.sealing) {
    assert.equal(Buffer.from(s.key, 'base64url').length, 32);
    assert.equal(Buffer.from(s.id, 'base64url').length, 4);
    recordSecret(s.key);
  }
  const byRole = (alg, role) => (alg === 'sealing' ? ring.sealing.filter((s) => s.role === role).map((s) => s.id)
    : ring.signing.filter((k) => k.alg === alg && k.role === role).map((k) => k.kid));
  return { ...ring, byRole };
}

describe('rotate-keys on a data_dir a running provider made', () => {
  let fake;
  let p;
  let legacyKid;
  let legacyPem;
  let cfg;

  before(async () => {
    fake = await FakePlex.start();
    // A data_dir from before the key ring: the harness seeds signing-key.pem;
    // the provider takes it over at start (same kid) into keyring.json.
    p = await Provider.start({ fake });
    legacyPem = fs.readFileSync(path.join(p.dataDir, 'signing-key.pem'), 'utf8');
    legacyKid = thumbprint(crypto.createPrivateKey(legacyPem).export({ format: 'jwk' }));
    const jwks = await (await fetch(`${p.base}/jwks`)).json();
    assert.ok(jwks.keys.some((k) => k.kid === legacyKid), 'the old key is in the JWKS, kid unchanged');
    assert.match(p.logText(), /took .*signing-key\.pem over into the key ring \(same kid\)/);
    await p.stop();
    cfg = config('running.ini', p.dataDir, ['RS256', 'ES256']);
  });

  after(async () => {
    await p?.stop();
    await fake?.stop();
  });

  test('the first run refuses to switch to a key nobody has seen yet', () => {
    const r = run(['rotate-keys', '--config', cfg]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^plex-oidc: not rotated: the next (RS256|ES256) key \(kid [\w-]{43}\) has been published for \d+ s only/);
    assert.match(r.stderr, /try again in (9 min|10 min)/);
    assert.match(r.stderr, /--force/);
    const ring = readRing(p.dataDir);
    assert.deepEqual(ring.byRole('RS256', 'current'), [legacyKid]);
    assert.equal(ring.byRole('RS256', 'next').length, 1);
    assert.equal(ring.byRole('ES256', 'current').length, 1, 'keys for the algorithm a client uses');
    assert.equal(fs.readFileSync(path.join(p.dataDir, 'signing-key.pem'), 'utf8'), legacyPem, 'left in place');
    assert.ok(fs.existsSync(path.join(p.dataDir, 'keyring.migrated')));
  });

  test('--force rotates: next -> current -> previous, a new next, the report says which', () => {
    const before1 = readRing(p.dataDir);
    const r = run(['rotate-keys', '--config', cfg, '--force']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stderr, '');
    const ring = readRing(p.dataDir);
    for (const alg of ['RS256', 'ES256', 'sealing']) {
      assert.deepEqual(ring.byRole(alg, 'current'), before1.byRole(alg, 'next'), `${alg}: next became current`);
      assert.deepEqual(ring.byRole(alg, 'previous'), before1.byRole(alg, 'current'), `${alg}: current became previous`);
      assert.equal(ring.byRole(alg, 'next').length, 1);
      assert.ok(!before1.byRole(alg, 'current').includes(ring.byRole(alg, 'next')[0]), `${alg}: a new next key`);
    }
    assert.deepEqual(ring.byRole('RS256', 'previous'), [legacyKid], 'the old key is still published');
    assert.match(r.stdout, /^rotated the key ring .*keyring\.json:/);
    assert.match(r.stdout, new RegExp(`RS256 +current +kid ${ring.byRole('RS256', 'current')[0]}  \\(signs from now on\\)`));
    assert.match(r.stdout, new RegExp(`previous +kid ${legacyKid}  \\(still published until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\)`));
    assert.match(r.stdout, /sealing +current +id {2}[\w-]{6} {2}\(seals from now on\)/);
    assert.match(r.stdout, /previous +id {2}[\w-]{6} {2}\(still opens until /);
    assert.match(r.stdout, /A running plex-oidc reads keyring\.json again within \d+ seconds/);
    // The previous signing key retires after an ID token's lifetime plus
    // the JWKS cache time plus a margin, the sealing key after 30 days.
    const prev = ring.signing.find((k) => k.alg === 'RS256' && k.role === 'previous');
    const sealPrev = ring.sealing.find((k) => k.role === 'previous');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(prev.retire > now + 3600 && prev.retire < now + 2 * 3600, `signing retire ${prev.retire - now} s`);
    assert.ok(sealPrev.retire > now + 30 * 86400 && sealPrev.retire < now + 31 * 86400);
  });

  test('another run at once is refused and leaves the file as it was', () => {
    const file = path.join(p.dataDir, 'keyring.json');
    const text = fs.readFileSync(file, 'utf8');
    const r = run(['rotate-keys', '-c', cfg]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not rotated/);
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  });
});

describe('rotate-keys: first start, lost and damaged rings', () => {
  test('an empty data_dir gets a new ring (nothing to rotate), with keys for every algorithm in use', () => {
    const d = path.join(dir, 'fresh');
    fs.mkdirSync(d, { mode: 0o700 });
    const r = run(['rotate-keys', '--config', config('fresh.ini', d, ['EdDSA'])]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /created the key ring .*; nothing to rotate/);
    const ring = readRing(d);
    assert.equal(ring.byRole('RS256', 'current').length, 1, 'RS256 always');
    assert.equal(ring.byRole('EdDSA', 'current').length, 1);
    assert.equal(ring.byRole('ES256', 'current').length, 0);
    assert.deepEqual(fs.readdirSync(d), ['keyring.json'], 'no temporary file left');
  });

  test('keys gone after an earlier start: an error naming the file; --force makes new keys', () => {
    const d = path.join(dir, 'lost');
    fs.mkdirSync(d, { mode: 0o700 });
    fs.writeFileSync(path.join(d, 'plex-client-id'), '3f1e0c52-7a8e-4f0f-9a51-0d3c1a2b4c5d\n', { mode: 0o600 });
    const cfg = config('lost.ini', d);
    let r = run(['rotate-keys', '--config', cfg]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/keyring\\.json is missing`));
    assert.match(r.stderr, /Restore keyring\.json from a backup/);
    assert.deepEqual(fs.readdirSync(d), ['plex-client-id'], 'nothing created');
    r = run(['rotate-keys', '--config', cfg, '--force']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /created new keys .* as --force asks/);
    readRing(d);
  });

  test('a damaged ring is an error and stays as it is, even with --force', () => {
    const d = path.join(dir, 'damaged');
    fs.mkdirSync(d, { mode: 0o700 });
    const damaged = '{"format": "plex-oidc key ring", "version": 1, "signing": [';
    fs.writeFileSync(path.join(d, 'keyring.json'), damaged, { mode: 0o600 });
    for (const extra of [[], ['--force']]) {
      const r = run(['rotate-keys', '--config', config('damaged.ini', d), ...extra]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /keyring\.json is damaged: not valid JSON/);
      assert.match(r.stderr, /restore it from a backup/);
      assert.equal(fs.readFileSync(path.join(d, 'keyring.json'), 'utf8'), damaged);
    }
  });

  test('arguments: --config is required; unknown ones are refused (exit 2); --help lists the command', () => {
    let r = run(['rotate-keys']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--config FILE is required/);
    r = run(['rotate-keys', '--config', 'x.ini', '--now']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown argument '--now'/);
    r = run(['rotate-keys', '--config', path.join(dir, 'missing.ini')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /missing\.ini: cannot read the configuration file/);
    r = run(['--help']);
    assert.match(r.stdout, /rotate-keys --config FILE \[--force\]/);
  });
});

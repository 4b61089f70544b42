// restart.test.mjs - what must survive a restart: the key ring (the same
// signing keys, kids and moduli, so ID tokens issued before still verify),
// kept private (mode 0600), and the X-Plex-Client-Identifier (PINs are
// bound to it).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  FakePlex, loginForCode, Provider, redeem, relyingParty, request, rsaThumbprint, verifyRs256,
} from './lib/harness.mjs';

let fake;
let p;
const before1 = {};

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

before(async () => {
  fake = await FakePlex.start();
  // No seeded key: the provider makes its own in a data_dir it creates.
  p = await Provider.start({ fake, seedKey: false });
});

after(async () => {
  await p?.stop();
  await fake?.stop();
});

test('first start: creates the key ring (0600) and the client identifier', async () => {
  const keyFile = path.join(p.dataDir, 'keyring.json');
  const idFile = path.join(p.dataDir, 'plex-client-id');
  assert.ok(fs.existsSync(keyFile), 'keyring.json in data_dir');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(fs.statSync(p.dataDir).mode & 0o077, 0, 'data_dir not open to group or others');
  assert.ok(fs.existsSync(idFile), 'plex-client-id in data_dir');
  assert.equal(fs.statSync(idFile).mode & 0o077, 0, 'plex-client-id not open to group or others');
  before1.keyHash = sha256(keyFile);
  before1.clientId = fs.readFileSync(idFile, 'utf8').trim();
  assert.ok(before1.clientId.length >= 8);
  before1.jwks = (await request(p.url('/jwks'))).json();
  assert.equal(before1.jwks.keys.length, 2, 'the current key and the next, published before it signs');
  for (const k of before1.jwks.keys) assert.equal(k.kid, rsaThumbprint(k));

  const ctx = await loginForCode(p, { user: 'alice' });
  assert.equal(ctx.link.clientID, before1.clientId);
  const { tokens, claims } = await redeem(await relyingParty(p), ctx.callbackUrl, ctx.request);
  assert.equal(claims.sub, 'dae343c1f45beb4f');
  before1.idToken = tokens.id_token;
  before1.kid = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).kid;
  assert.ok(before1.jwks.keys.some((k) => k.kid === before1.kid));
});

test('SIGTERM stops the provider cleanly', async () => {
  const r = await p.stop();
  assert.deepEqual(r, { code: 0, signal: null });
});

test('after a restart: the same keys, kids and client identifier', async () => {
  await fake.reset();
  await p.launch();
  const keyFile = path.join(p.dataDir, 'keyring.json');
  assert.equal(sha256(keyFile), before1.keyHash, 'the key ring is unchanged');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  const jwks = (await request(p.url('/jwks'))).json();
  assert.deepEqual(jwks, before1.jwks);
  // An ID token from before the restart still verifies.
  assert.ok(verifyRs256(before1.idToken, jwks.keys.find((k) => k.kid === before1.kid)));
  assert.equal(fs.readFileSync(path.join(p.dataDir, 'plex-client-id'), 'utf8').trim(), before1.clientId);

  // And plex.tv sees the same client.
  const ctx = await loginForCode(p, { user: 'hank' });
  assert.equal(ctx.link.clientID, before1.clientId);
  const ids = new Set((await fake.log()).filter((e) => e.endpoint).map((e) => e.headers['x-plex-client-identifier']));
  assert.deepEqual([...ids], [before1.clientId]);
  const { tokens, claims } = await redeem(await relyingParty(p), ctx.callbackUrl, ctx.request);
  assert.equal(claims.sub, '4f1a2b3c5d6e7f80');
  assert.equal(JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).kid, before1.kid);
});

// owner.test.mjs - [plex] owner_id. Device identifiers are chosen by devices:
// the fake's "mallory" has a device in her own account that claims the
// configured server's identifier (owned, provides "server"). Without
// owner_id that entry looks like the owner's server; with it, only the
// owner's own server and shares made by the owner count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FakePlex, Provider, loginHttp, request } from './lib/harness.mjs';

const ALICE_ID = 22526914; // the owner's Plex account id in the fake

let fake;
let hardened;
let plain;

before(async () => {
  fake = await FakePlex.start({});
  hardened = await Provider.start({ fake, ownerId: ALICE_ID });
  plain = await Provider.start({ fake });
});

after(async () => {
  await hardened?.stop();
  await plain?.stop();
  await fake?.stop();
});

describe('owner_id', { concurrency: true }, () => {
  test('a look-alike device in another account is refused', async () => {
    const ctx = await loginHttp(hardened, { user: 'mallory' });
    assert.equal(ctx.outcome.state, 'denied');
    assert.equal(ctx.redirect, undefined, 'no code');
  });

  test('...which is exactly what owner_id is for: without it, it passes', async () => {
    const ctx = await loginHttp(plain, { user: 'mallory' });
    assert.equal(ctx.outcome.state, 'done');
  });

  for (const user of ['alice', 'hank', 'fred', 'mia']) {
    test(`the owner, Home members and friends still get in (${user})`, async () => {
      const ctx = await loginHttp(hardened, { user });
      assert.equal(ctx.outcome.state, 'done', `${user}: ${JSON.stringify(ctx.outcome)}`);
      assert.ok(ctx.redirect?.params.code, 'a code');
    });
  }

  test('nobody else does (nora)', async () => {
    const ctx = await loginHttp(hardened, { user: 'nora' });
    assert.equal(ctx.outcome.state, 'denied');
  });
});

// docs/SECURITY.md "owner_id": a share that plex.tv sends without ownerId
// cannot be checked against owner_id. It is refused, but visibly: a log line
// of its own, a counter, and a page that does not blame the user.
describe('a share without ownerId (olive, Plex Home)', () => {
  const counter = async (p) => {
    const m = /^plexoidc_access_unverifiable_total (\d+)$/m.exec((await request(`${p.base}/metrics`)).text);
    assert.ok(m, 'plexoidc_access_unverifiable_total in /metrics');
    return Number(m[1]);
  };

  test('with owner_id: refused as "could not be confirmed", counted and logged', async () => {
    const before = await counter(hardened);
    const ctx = await loginHttp(hardened, { user: 'olive' });
    assert.equal(ctx.outcome.state, 'denied');
    assert.equal(ctx.redirect, undefined, 'no code');
    assert.equal(ctx.final.status, 403);
    assert.match(ctx.final.text, /Your access could not be confirmed/);
    assert.match(ctx.final.text, /This is not something you did wrong/);
    assert.doesNotMatch(ctx.final.text, /not shared with the account/);
    assert.equal(await counter(hardened), before + 1);
    assert.match(hardened.logText(), /WARN .*01d0ff1ce0112233: 1 share\(s\) of the server came without ownerId and were refused/);
  });

  test('without owner_id: she is a Home member as usual, nothing counted', async () => {
    const before = await counter(plain);
    const ctx = await loginHttp(plain, { user: 'olive' });
    assert.equal(ctx.outcome.state, 'done');
    assert.ok(ctx.redirect?.params.code);
    assert.equal(await counter(plain), before);
  });
});

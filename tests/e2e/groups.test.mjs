// groups.test.mjs - who may use which app (docs/CONFIGURATION.md, "[group.NAME]"):
// the built-in groups from the Plex relationship, named groups, a client's
// allow list and the no-access page that names the app, several Plex
// servers, and the groups claim in the ID token and at UserInfo. The owner
// of the configured server in the fake is alice; hank is a Plex Home
// member; fred a friend; nora has a share of another server only (Zed's).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  authRequest, FakePlex, launchBrowser, loginForCode, loginHttp, Provider, randomSecret, redeem, relyingParty,
  request, SERVER_ID, startRpServer, USERS,
} from './lib/harness.mjs';

const ZED = 'fedcba9876543210fedcba9876543210fedcba98'; // Zed's server (tests/fake-plex), shared with nora

let fake;
let rpServer;
let p; // owner_id set: one server
let multi; // two servers, no owner_id (each has its own owner)
let browser;

const client = (path, extra = [], name) => ({ secret: randomSecret(), redirect_uris: [`${rpServer.base}/${path}`], name,
  extra });

before(async () => {
  rpServer = await startRpServer();
  fake = await FakePlex.start();
  p = await Provider.start({
    fake,
    ownerId: 22526914,
    clients: {
      everyone: client('cb1', [], 'Overseerr'),
      sonarr: client('cb2', ['allow = plex-owner'], 'Sonarr'),
      family: client('cb3', ['allow = family']),
      immich: client('cb4', ['allow = plex-home'], 'Immich'),
    },
    sections: ['[group.family]', `users = FRED@example.org ${USERS.hank.uuid}`],
  });
  multi = await Provider.start({
    fake,
    serverId: `${SERVER_ID} ${ZED}`,
    clients: { app: client('cb5') },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await multi?.stop();
  await p?.stop();
  await fake?.stop();
  await rpServer?.close();
});

// A sign-in over HTTP as user to client; returns the loginHttp context.
const signIn = (prov, clientId, user, scope = 'openid profile email groups') =>
  loginHttp(prov, { user, request: authRequest(prov, { client: clientId, scope }) });

// A code, redeemed with openid-client: claims, tokens, and UserInfo.
async function claimsOf(prov, clientId, user, scope = 'openid profile email groups') {
  const req = authRequest(prov, { client: clientId, scope });
  const ctx = await loginForCode(prov, { user, request: req });
  const rp = await relyingParty(prov, { client: clientId });
  const { tokens, claims } = await redeem(rp, ctx.callbackUrl, req);
  const info = await rp.o.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
  return { claims, info };
}

describe('allow lists', () => {
  test('an owner-only client admits the owner and shows a friend the page naming the app, with no code', async () => {
    const ok = await claimsOf(p, 'sonarr', 'alice');
    assert.equal(ok.claims.sub, USERS.alice.uuid);

    const ctx = await signIn(p, 'sonarr', 'fred');
    assert.equal(ctx.outcome.state, 'done', 'fred has access to the server: the Plex sign-in succeeds');
    assert.equal(ctx.final.status, 403);
    assert.ok(!ctx.final.location, 'no redirect: the client never gets a code');
    assert.match(ctx.final.text, /You don(&#39;|'|&#x27;)t have access to Sonarr/);
    assert.match(ctx.final.text, /Fred Weasley/, 'the page names the account');
    assert.match(ctx.final.text, /Sign out/);
  });

  test('the same browser, signed in, is let into the app that allows it without signing in again', async () => {
    const ctx = await signIn(p, 'sonarr', 'fred');
    assert.equal(ctx.final.status, 403);
    // The session from that sign-in: the everyone app answers with a code.
    const req = authRequest(p, { client: 'everyone' });
    const u = new URL(p.url('/authorize'));
    for (const [k, v] of Object.entries(req.params)) u.searchParams.set(k, v);
    const res = await request(u, { jar: ctx.jar });
    assert.equal(res.status, 302, res.text.slice(0, 300));
    assert.ok(new URL(res.location).searchParams.get('code'));
    // ...and the owner-only app, asked again, shows the page with no Plex sign-in.
    const again = authRequest(p, { client: 'sonarr' });
    const u2 = new URL(p.url('/authorize'));
    for (const [k, v] of Object.entries(again.params)) u2.searchParams.set(k, v);
    const res2 = await request(u2, { jar: ctx.jar });
    assert.equal(res2.status, 403);
    assert.match(res2.text, /have access to Sonarr/);
    // prompt=none gets the standard error instead of a page.
    u2.searchParams.set('prompt', 'none');
    const res3 = await request(u2, { jar: ctx.jar });
    assert.equal(res3.status, 302);
    const back = new URL(res3.location);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('code'), null);
  });

  test('a named group admits exactly its members (by email, any case; by uuid)', async () => {
    assert.equal((await claimsOf(p, 'family', 'fred')).claims.sub, USERS.fred.uuid);
    assert.equal((await claimsOf(p, 'family', 'hank')).claims.sub, USERS.hank.uuid);
    const alice = await signIn(p, 'family', 'alice');
    assert.equal(alice.final.status, 403, 'the owner is not in the family group');
    assert.match(alice.final.text, /have access to family/, 'a client without name: its id');
    const mia = await signIn(p, 'family', 'mia');
    assert.equal(mia.final.status, 403);
  });

  test('a Home member is in plex-home; a friend is not', async () => {
    const hank = await claimsOf(p, 'immich', 'hank');
    assert.deepEqual(hank.claims.groups, ['plex-home', 'family']);
    const mia = await claimsOf(p, 'immich', 'mia');
    assert.deepEqual(mia.claims.groups, ['plex-home'], 'a managed user too');
    const fred = await signIn(p, 'immich', 'fred');
    assert.equal(fred.final.status, 403);
  });

  test('nobody without access to the server gets in, whatever the named groups', async () => {
    const nora = await signIn(p, 'everyone', 'nora');
    assert.equal(nora.outcome.state, 'denied');
  });

  test('the denial is counted', async () => {
    const m = await request(p.url('/metrics'));
    const n = /^plexoidc_app_denied_total (\d+)$/m.exec(m.text);
    assert.ok(n && Number(n[1]) >= 4, m.text);
  });
});

describe('the groups claim', () => {
  test('with the groups scope: in the ID token and at UserInfo, the same array', async () => {
    const { claims, info } = await claimsOf(p, 'everyone', 'fred');
    assert.deepEqual(claims.groups, ['plex-friend', 'family']);
    assert.deepEqual(info.groups, claims.groups);
    const owner = await claimsOf(p, 'everyone', 'alice');
    assert.deepEqual(owner.claims.groups, ['plex-owner']);
    assert.deepEqual(owner.info.groups, ['plex-owner']);
  });

  test('without the groups scope: in neither', async () => {
    const { claims, info } = await claimsOf(p, 'everyone', 'fred', 'openid profile email');
    assert.equal(claims.groups, undefined);
    assert.equal(info.groups, undefined);
  });

  test('discovery lists the groups scope and claim', async () => {
    const doc = (await request(p.url('/.well-known/openid-configuration'))).json();
    assert.ok(doc.scopes_supported.includes('groups'));
    assert.ok(doc.claims_supported.includes('groups'));
  });
});

describe('several Plex servers', () => {
  test('a user with access only to the second listed server is admitted, with the right group', async () => {
    const { claims } = await claimsOf(multi, 'app', 'nora');
    assert.equal(claims.sub, USERS.nora.uuid);
    assert.deepEqual(claims.groups, ['plex-friend']);
    // alice owns the first: the strongest relationship found.
    assert.deepEqual((await claimsOf(multi, 'app', 'alice')).claims.groups, ['plex-owner']);
    // pete has neither.
    const pete = await signIn(multi, 'app', 'pete');
    assert.equal(pete.outcome.state, 'denied');
  });
});

describe('in Chromium', () => {
  test('the no-access page names the app and offers to sign out', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const rp = await relyingParty(p, { client: 'sonarr' });
      const url = rp.o.buildAuthorizationUrl(rp.config, {
        redirect_uri: `${rpServer.base}/cb2`, scope: 'openid', state: 'x',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
      });
      await page.goto(url.href);
      await page.waitForSelector('#signin');
      const popupPromise = page.waitForEvent('popup');
      await page.click('#signin');
      const popup = await popupPromise;
      await popup.waitForSelector('#as-fred');
      await popup.click('#as-fred');
      await page.waitForFunction(() => /have access to Sonarr/.test(document.body.innerText), null,
        { timeout: 30000 });
      assert.ok(!page.url().startsWith(rpServer.base), 'the browser never reached the app');
      const text = await page.evaluate(() => document.body.innerText);
      assert.match(text, /You don.t have access to Sonarr/);
      assert.match(text, /Sign out/);
      if (process.env.PLEX_OIDC_SCREENSHOTS) await page.screenshot({ path: `${process.env.PLEX_OIDC_SCREENSHOTS}/no-access-app.png` });
    } finally {
      await context.close();
    }
  });
});

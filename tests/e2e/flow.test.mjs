// flow.test.mjs - the real sign-in page in Chromium, with openid-client as
// the relying party: the Plex popup, and the full-page redirect when the
// popup is blocked (docs/PLEX-API.md, "The sign-in app").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  launchBrowser, randomSecret, relyingParty, startRpServer, startStack, USERS,
} from './lib/harness.mjs';

let rpServer;
let stack;
let p;
let browser;

before(async () => {
  rpServer = await startRpServer();
  stack = await startStack({
    clients: { app: { secret: randomSecret(), redirect_uris: [`${rpServer.base}/cb`], name: 'Browser App' } },
  });
  p = stack.provider;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
  await rpServer?.close();
});

// Opens the app's authorization URL in a fresh browser context and hands
// the page to signIn(page, context), which must end on the RP callback.
// Returns the validated tokens, claims, userinfo and what the browser saw.
async function browserLogin({ blockPopups = false, signIn }) {
  const rp = await relyingParty(p);
  const { o, config } = rp;
  const verifier = o.randomPKCECodeVerifier();
  const state = o.randomState();
  const nonce = o.randomNonce();
  const url = o.buildAuthorizationUrl(config, {
    redirect_uri: `${rpServer.base}/cb`,
    scope: 'openid profile email',
    code_challenge: await o.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  assert.ok(url.href.startsWith(`${p.base}/authorize?`));

  const context = await browser.newContext();
  const seen = { main: [], errors: [] };
  try {
    if (blockPopups) {
      // What a popup blocker does to window.open.
      await context.addInitScript(() => {
        window.open = () => null;
      });
    }
    context.on('page', (pg) => {
      pg.on('pageerror', (e) => seen.errors.push(`${pg.url()}: ${e.message}`));
      pg.on('console', (m) => {
        if (m.type() === 'error') seen.errors.push(`${pg.url()}: ${m.text()}`);
      });
    });
    const page = await context.newPage();
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) seen.main.push(f.url());
    });
    await page.goto(url.href);
    await page.waitForSelector('#signin');
    assert.match(await page.textContent('#signin'), /Sign in with Plex/);
    assert.match(await page.textContent('body'), /Browser App/);
    const cookies = await context.cookies(p.base);
    const bid = cookies.find((c) => c.name === 'plexoidc_bid');
    assert.ok(bid, 'browser-binding cookie');
    assert.equal(bid.httpOnly, true);

    await signIn(page, context);
    await page.waitForURL((u) => u.href.startsWith(`${rpServer.base}/cb?`), { timeout: 30000 });
    const callback = page.url();
    await page.waitForSelector('#rp');

    const tokens = await o.authorizationCodeGrant(config, new URL(callback), {
      pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
    });
    const claims = tokens.claims();
    const info = await o.fetchUserInfo(config, tokens.access_token, claims.sub);
    return { callback, tokens, claims, info, seen };
  } finally {
    await context.close();
  }
}

function assertClaims({ claims, info, callback }, user) {
  const u = USERS[user];
  const cb = new URL(callback);
  assert.equal(cb.searchParams.get('iss'), p.base);
  assert.equal(claims.iss, p.base);
  assert.equal(claims.aud, 'app');
  assert.equal(claims.sub, u.uuid);
  assert.equal(claims.name, u.name);
  assert.equal(claims.preferred_username, u.username);
  assert.equal(claims.email, u.email);
  assert.equal(claims.email_verified, true);
  assert.equal(info.sub, claims.sub);
  assert.equal(info.email, u.email);
}

test('owner signs in through the Plex popup', async () => {
  let popupClosed;
  const r = await browserLogin({
    async signIn(page) {
      const popupPromise = page.waitForEvent('popup');
      await page.click('#signin');
      const popup = await popupPromise;
      popupClosed = popup.waitForEvent('close', { timeout: 20000 }).then(() => true, () => popup.isClosed());
      await popup.waitForSelector('#as-alice');
      assert.ok(popup.url().startsWith(`${stack.fake.url}/auth#?`), `popup at ${popup.url()}`);
      await popup.click('#as-alice');
    },
  });
  assertClaims(r, 'alice');
  assert.equal(await popupClosed, true, 'the popup closes itself');
  // The sign-in page itself never left for Plex.
  assert.ok(!r.seen.main.some((u) => u.startsWith(stack.fake.url)), r.seen.main.join('\n'));
  const ours = r.seen.errors.filter((e) => e.startsWith(p.base));
  assert.deepEqual(ours, [], 'no script errors or CSP violations on the provider pages');
});

test('popup blocked: the page goes to Plex and back (mode=redirect) for a Home member', async () => {
  const r = await browserLogin({
    blockPopups: true,
    async signIn(page) {
      await page.click('#signin');
      await page.waitForURL((u) => u.href.startsWith(`${stack.fake.url}/auth`), { timeout: 15000 });
      await page.waitForSelector('#as-hank');
      await page.click('#as-hank');
    },
  });
  assertClaims(r, 'hank');
  const main = r.seen.main;
  assert.ok(main.some((u) => u.startsWith(`${stack.fake.url}/auth#?`)), `went to Plex:\n${main.join('\n')}`);
  assert.ok(main.some((u) => u.startsWith(`${p.base}/login/return?l=`)), `came back:\n${main.join('\n')}`);
  const ours = r.seen.errors.filter((e) => e.startsWith(p.base));
  assert.deepEqual(ours, [], 'no script errors or CSP violations on the provider pages');
});

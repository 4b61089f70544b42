// apache.test.mjs - a real relying party: Apache httpd with Debian's
// mod_auth_openidc (libapache2-mod-auth-openidc) protects a page behind
// plex-oidc, driven end to end in headless Chromium.
//
// The browser opens the protected page; mod_auth_openidc sends it to
// plex-oidc's /authorize (with PKCE S256 and a nonce); the user clicks
// "Sign in with Plex", approves in the fake Plex popup; plex-oidc sends the
// browser back to the redirect URI inside /protected; mod_auth_openidc
// redeems the code at /token (client_secret_basic, or client_secret_post
// for the second instance), checks the RS256 ID token against /jwks, calls
// /userinfo and serves the page, which echoes what the module learned.
// A user without access (nora) must see plex-oidc's "No access" page and
// never reach Apache's redirect URI with a code. A third instance asks for
// the groups scope and keeps /owner for the server's owner with
// "Require claim groups:plex-owner": alice gets in, fred (a friend) is
// refused there by Apache and let into /protected.
//
// Nothing is installed here: scripts/install-deps test installs apache2-bin
// and libapache2-mod-auth-openidc. A missing Apache is a failure, not a skip.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Apache, apacheMissing } from './lib/apache.mjs';
import {
  FakePlex, findSecrets, freePort, launchBrowser, Provider, randomSecret, USERS,
} from './lib/harness.mjs';

const STEP_MS = 30000; // one browser step (a page, a popup, a redirect); generous for loaded CI machines

let fake;
let provider;
let basic; // Apache, client_secret_basic, REMOTE_USER = preferred_username
let post; // Apache, client_secret_post, REMOTE_USER = sub
let owner; // Apache, scope groups, /owner for plex-owner only (Require claim)
let browser;
const secrets = {};

before(async () => {
  const missing = apacheMissing();
  assert.equal(missing, null, missing ?? '');
  // The redirect URIs name Apache's ports, so the ports come first.
  const [basicPort, postPort, ownerPort] = [await freePort(), await freePort(), await freePort()];
  secrets.basic = randomSecret();
  secrets.post = randomSecret();
  secrets.owner = randomSecret();
  fake = await FakePlex.start();
  provider = await Provider.start({
    fake,
    clients: {
      'apache-basic': {
        secret: secrets.basic,
        redirect_uris: [`http://127.0.0.1:${basicPort}${Apache.redirectPath}`],
        name: 'Apache (basic)',
      },
      'apache-post': {
        secret: secrets.post,
        redirect_uris: [`http://127.0.0.1:${postPort}${Apache.redirectPath}`],
        name: 'Apache (post)',
      },
      'apache-groups': {
        secret: secrets.owner,
        redirect_uris: [`http://127.0.0.1:${ownerPort}${Apache.redirectPath}`],
        name: 'Apache (groups)',
      },
    },
  });
  basic = await Apache.start({
    provider, clientId: 'apache-basic', secret: secrets.basic, port: basicPort,
    tokenAuth: 'client_secret_basic', remoteUserClaim: 'preferred_username',
  });
  post = await Apache.start({
    provider, clientId: 'apache-post', secret: secrets.post, port: postPort,
    tokenAuth: 'client_secret_post', remoteUserClaim: 'sub',
  });
  // docs/INTEGRATIONS.md, "Apache mod_auth_openidc": one path for the
  // owner, by the groups claim.
  owner = await Apache.start({
    provider, clientId: 'apache-groups', secret: secrets.owner, port: ownerPort,
    scope: 'openid email profile groups', remoteUserClaim: 'preferred_username',
    locations: [{ path: '/owner', require: 'claim groups:plex-owner' }],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close().catch(() => {});
  await basic?.stop();
  await post?.stop();
  await owner?.stop();
  await provider?.stop();
  await fake?.stop();
});

// Everything a failure message needs to explain itself.
function diag(page, apache) {
  return `\npage: ${page?.url()}\n${apache ? apache.logs() : ''}\n--- provider log (tail)\n` +
    provider.logText().split('\n').slice(-40).join('\n');
}

// Opens apache's protected page in a fresh browser context, checks that it
// lands on plex-oidc's login page, signs in as user in the fake Plex popup.
// Returns {context, page} with the page wherever the sign-in led it.
async function signInThroughApache(apache, user, where = '/protected/') {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  try {
    await page.goto(apache.url(where), { timeout: STEP_MS });
    await page.waitForSelector('#signin');
    const login = new URL(page.url());
    assert.equal(login.origin, provider.base, `not at plex-oidc's login page${diag(page, apache)}`);
    assert.equal(login.pathname, '/authorize');
    // What mod_auth_openidc asked for.
    assert.equal(login.searchParams.get('client_id'), apache.clientId);
    assert.equal(login.searchParams.get('redirect_uri'), apache.redirectUri);
    assert.equal(login.searchParams.get('response_type'), 'code');
    assert.equal(login.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(login.searchParams.get('nonce'));
    assert.deepEqual(login.searchParams.get('scope').split(' ').sort(), apache.scope.split(' ').sort());

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#signin')]);
    popup.setDefaultTimeout(STEP_MS);
    await popup.waitForSelector(`#as-${user}`);
    assert.equal(new URL(popup.url()).origin, fake.url);
    await popup.click(`#as-${user}`);
    return { context, page };
  } catch (e) {
    await context.close().catch(() => {});
    e.message += diag(page, apache);
    throw e;
  }
}

async function text(page, sel) {
  return (await page.textContent(sel))?.trim();
}

describe('Apache mod_auth_openidc as the relying party', () => {
  test('owner (alice) reaches the protected page; client_secret_basic, REMOTE_USER = preferred_username', async () => {
    const { context, page } = await signInThroughApache(basic, 'alice');
    try {
      await page.waitForURL((u) => u.origin === basic.base && u.pathname === '/protected/', { timeout: STEP_MS });
      await page.waitForSelector('#remote-user');
      assert.equal(await text(page, '#remote-user'), 'alice');
      assert.equal(await text(page, '#preferred-username'), 'alice');
      assert.equal(await text(page, '#sub'), USERS.alice.uuid);
      assert.equal(await text(page, '#name'), USERS.alice.name);
      assert.equal(await text(page, '#email'), USERS.alice.email);
      assert.equal(await text(page, '#iss'), provider.base);
      for (const call of basic.tokenCalls()) assert.deepEqual(call, { basic: true, post: false }, 'client_secret_basic');

      // mod_auth_openidc came back through its redirect URI with a code, and
      // now has a session: the page opens again without plex-oidc.
      assert.match(await basic.accessLogWhen(/redirect_uri\?code=/), /"GET \/protected\/redirect_uri\?code=[^"]* HTTP\/1\.1" 302 /);
      const again = await page.goto(basic.url('/protected/'));
      assert.equal(again.status(), 200);
      assert.equal(new URL(page.url()).origin, basic.base);
      assert.equal(await text(page, '#remote-user'), 'alice');
    } catch (e) {
      e.message += diag(page, basic);
      throw e;
    } finally {
      await context.close();
    }
  });

  test('managed Home user without email (mia), client_secret_post, REMOTE_USER = sub', async () => {
    const { context, page } = await signInThroughApache(post, 'mia');
    try {
      await page.waitForURL((u) => u.origin === post.base && u.pathname === '/protected/', { timeout: STEP_MS });
      await page.waitForSelector('#remote-user');
      assert.equal(await text(page, '#remote-user'), USERS.mia.uuid);
      assert.equal(await text(page, '#sub'), USERS.mia.uuid);
      assert.equal(await text(page, '#name'), 'Mia');
      assert.equal(await text(page, '#email'), '');
      assert.equal(await text(page, '#email-verified'), '');
      for (const call of post.tokenCalls()) assert.deepEqual(call, { basic: false, post: true }, 'client_secret_post');
    } catch (e) {
      e.message += diag(page, post);
      throw e;
    } finally {
      await context.close();
    }
  });

  test('an account without access (nora) gets "No access" and never reaches the protected page', async () => {
    const logStart = basic.accessLogText().length;
    const { context, page } = await signInThroughApache(basic, 'nora');
    try {
      await page.waitForSelector('main.kind-denied', { timeout: STEP_MS });
      assert.equal(new URL(page.url()).origin, provider.base);
      assert.match(await text(page, 'h1'), /No access/i);
      // Give a wrong redirect a moment to happen, then check it did not.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(new URL(page.url()).origin, provider.base);
      const since = basic.accessLogText().slice(logStart);
      assert.doesNotMatch(since, /redirect_uri\?code=/, 'Apache got a code for nora');
      assert.doesNotMatch(since, /"GET \/protected\/ HTTP\/1\.1" 200 /, 'Apache served the page to nora');
    } catch (e) {
      e.message += diag(page, basic);
      throw e;
    } finally {
      await context.close();
    }
  });

  test('Require claim groups:plex-owner: the owner (alice) reaches the owner-only path', async () => {
    const { context, page } = await signInThroughApache(owner, 'alice', '/owner/');
    try {
      await page.waitForURL((u) => u.origin === owner.base && u.pathname === '/owner/', { timeout: STEP_MS });
      await page.waitForSelector('#remote-user');
      assert.equal(await text(page, '#remote-user'), 'alice');
      assert.equal(await text(page, '#groups'), 'plex-owner');
      assert.match(await owner.accessLogWhen(/"GET \/owner\/ HTTP\/1\.1" 200 /), /"GET \/owner\/ HTTP\/1\.1" 200 /);
    } catch (e) {
      e.message += diag(page, owner);
      throw e;
    } finally {
      await context.close();
    }
  });

  test('...refuses a friend (fred), whom the path every user may open lets in', async () => {
    const logStart = owner.accessLogText().length;
    const { context, page } = await signInThroughApache(owner, 'fred', '/owner/');
    try {
      // Signed in (the module came back with a code), then refused by the
      // claim in Apache, not by plex-oidc: mod_auth_openidc's
      // OIDCUnAutzAction (401 by default in Debian 12's 2.4.12; 403 when
      // set so).
      await page.waitForURL((u) => u.origin === owner.base && u.pathname === '/owner/', { timeout: STEP_MS });
      const log = await owner.accessLogWhen(/"GET \/owner\/ HTTP\/1\.1" \d+ /, logStart);
      assert.match(log, /"GET \/protected\/redirect_uri\?code=[^"]* HTTP\/1\.1" 302 /);
      assert.match(log, /fred\.w \[[^\]]*\] "GET \/owner\/ HTTP\/1\.1" 40[13] /);
      assert.doesNotMatch(log, /"GET \/owner\/ HTTP\/1\.1" 200 /);
      assert.match(owner.logs(), /user fred\.w: authorization failure for "\/owner\/"/);
      assert.equal(await page.$('#remote-user'), null, 'the owner page was not served');
      // The same session opens /protected, which any signed-in user may.
      const res = await page.goto(owner.url('/protected/'));
      assert.equal(res.status(), 200);
      assert.equal(new URL(page.url()).origin, owner.base);
      assert.equal(await text(page, '#remote-user'), USERS.fred.username);
      assert.equal(await text(page, '#groups'), 'plex-friend');
    } catch (e) {
      e.message += diag(page, owner);
      throw e;
    } finally {
      await context.close();
    }
  });

  test("plex-oidc's log holds neither client secret", () => {
    const leaked = findSecrets(provider.logText(), [secrets.basic, secrets.post, secrets.owner]);
    assert.deepEqual(leaked, []);
  });
});

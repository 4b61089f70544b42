// sessions.test.mjs - one sign-in for every app (docs/SESSIONS.md): the
// sealed sign-on session in Chromium with openid-client as the relying
// party. A second app gets its code with no page and no Plex popup;
// prompt=none, prompt=login, max_age and id_token_hint (OpenID Connect Core
// §3.1.2.1); the session survives a restart; access is re-checked with
// plex.tv every access_recheck (10 s here): an un-shared friend is locked
// out, and a plex.tv outage is held for access_grace (20 s) and no longer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import {
  BIN, decodeJwt, FakePlex, launchBrowser, Provider, randomSecret, relyingParty, request, sleep, startRpServer, USERS,
  verifyRs256,
} from './lib/harness.mjs';

const RECHECK_S = 10;
const GRACE_S = 20;

let rpServer;
let fake;
let p;
let browser;

before(async () => {
  rpServer = await startRpServer();
  fake = await FakePlex.start();
  p = await Provider.start({
    fake,
    ownerId: 22526914,
    server: [`access_recheck = ${RECHECK_S}s`, `access_grace = ${GRACE_S}s`],
    clients: {
      app: { secret: randomSecret(), redirect_uris: [`${rpServer.base}/cb`], name: 'Grafana',
        extra: [`post_logout_redirect_uris = ${rpServer.base}/bye`] },
      other: { secret: randomSecret(), redirect_uris: [`${rpServer.base}/cb2`], name: 'Jellyfin' },
      norefresh: { secret: randomSecret(), redirect_uris: [`${rpServer.base}/cb3`], extra: ['refresh_tokens = no'] },
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await p?.stop();
  await fake?.stop();
  await rpServer?.close();
});

// A browser: a Chromium context that keeps its cookies across sign-ins,
// and records every popup and main-frame navigation.
async function newBrowser() {
  const context = await browser.newContext();
  const seen = { popups: 0, main: [], errors: [] };
  context.on('page', (pg) => {
    pg.on('pageerror', (e) => seen.errors.push(`${pg.url()}: ${e.message}`));
  });
  return { context, seen };
}

// The relying party `client` sends the browser to the provider with extra
// parameters; signIn(page) runs when the login page shows (a Plex sign-in
// in the popup); without it, the page must not show. Ends on the RP's
// callback: returns {params} of the callback, and, when a code came back,
// the tokens and claims from openid-client.
async function appSignIn(b, { client = 'app', extra = {}, user = 'alice', expectPage = false, scope = 'openid profile email' } = {}) {
  const rp = await relyingParty(p, { client });
  const { o, config } = rp;
  const redirectUri = `${rpServer.base}/${{ app: 'cb', other: 'cb2', norefresh: 'cb3' }[client]}`;
  const verifier = o.randomPKCECodeVerifier();
  const state = o.randomState();
  const nonce = o.randomNonce();
  const url = o.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope, code_challenge: await o.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', state, nonce, ...extra,
  });
  const page = await b.context.newPage();
  const main = [];
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) main.push(f.url());
  });
  page.on('popup', () => { b.seen.popups++; });
  try {
    await page.goto(url.href);
    if (expectPage) {
      await page.waitForSelector('#signin');
      const popupPromise = page.waitForEvent('popup');
      await page.click('#signin');
      const popup = await popupPromise;
      await popup.waitForSelector(`#as-${user}`);
      await popup.click(`#as-${user}`);
    }
    await page.waitForURL((u) => u.href.startsWith(`${redirectUri}?`), { timeout: 30000 });
    const callback = new URL(page.url());
    const params = Object.fromEntries(callback.searchParams);
    const out = { params, main, rp };
    if (params.code) {
      const tokens = await o.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
      });
      out.tokens = tokens;
      out.claims = tokens.claims();
    }
    return out;
  } finally {
    await page.close();
  }
}

// What the provider answers a browser (its cookies) for the app's request,
// without following redirects.
async function authorizeAs(b, extra = {}) {
  const cookies = await b.context.cookies(p.base);
  const u = new URL(`${p.base}/authorize`);
  const params = { client_id: 'app', redirect_uri: `${rpServer.base}/cb`, response_type: 'code', scope: 'openid',
    state: 's', ...extra };
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return request(u, { headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } });
}

describe('one sign-in for every app', () => {
  test('a second app signs in with no page and no Plex popup; the session cookie is sealed and HttpOnly', async () => {
    const b = await newBrowser();
    try {
      const first = await appSignIn(b, { client: 'app', expectPage: true, user: 'alice' });
      assert.equal(first.claims.sub, USERS.alice.uuid);
      assert.equal(b.seen.popups, 1);
      const cookie = (await b.context.cookies(p.base)).find((c) => c.name === 'plexoidc_session');
      assert.ok(cookie, 'a session cookie');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.ok(cookie.expires > Date.now() / 1000 + 6 * 86400, 'lives about session_lifetime (7 days)');
      assert.ok(!cookie.value.includes(USERS.alice.uuid) && !cookie.value.includes('alice'), 'sealed, not readable');

      const second = await appSignIn(b, { client: 'other' });
      assert.equal(b.seen.popups, 1, 'no second Plex popup');
      assert.equal(second.claims.sub, USERS.alice.uuid);
      assert.equal(second.claims.aud, 'other');
      assert.equal(second.claims.auth_time, first.claims.auth_time, 'the same sign-in');
      // The only thing the browser saw: the redirect.
      assert.deepEqual(second.main.map((u) => new URL(u).pathname), ['/cb2'], second.main.join('\n'));
    } finally {
      await b.context.close();
    }
  });

  test('prompt=none: login_required without a session, a code with one', async () => {
    const b = await newBrowser();
    try {
      const none = await appSignIn(b, { extra: { prompt: 'none' } });
      assert.equal(none.params.error, 'login_required');
      assert.equal(none.params.iss, p.base);
      assert.equal(b.seen.popups, 0);
      await appSignIn(b, { expectPage: true, user: 'hank' });
      const silent = await appSignIn(b, { client: 'other', extra: { prompt: 'none' } });
      assert.equal(silent.claims.sub, USERS.hank.uuid);
      assert.equal(b.seen.popups, 1);
    } finally {
      await b.context.close();
    }
  });

  test('prompt=login and max_age force a new Plex popup and a later auth_time', async () => {
    const b = await newBrowser();
    try {
      const first = await appSignIn(b, { expectPage: true, user: 'alice' });
      await sleep(2100);
      const young = await appSignIn(b, { client: 'other', extra: { max_age: '10000' } });
      assert.equal(young.claims.auth_time, first.claims.auth_time, 'max_age=10000: the session is young enough');
      assert.equal(b.seen.popups, 1);
      const login = await appSignIn(b, { client: 'other', extra: { prompt: 'login' }, expectPage: true, user: 'alice' });
      assert.equal(b.seen.popups, 2, 'prompt=login: a new Plex sign-in');
      assert.ok(login.claims.auth_time > first.claims.auth_time, 'a later auth_time');
      await sleep(2100);
      const old = await appSignIn(b, { extra: { max_age: '1' }, expectPage: true, user: 'alice' });
      assert.equal(b.seen.popups, 3, 'max_age=1: a new Plex sign-in');
      assert.ok(old.claims.auth_time > login.claims.auth_time);
      // Still in one session: no popup for a plain request.
      await appSignIn(b, { client: 'other' });
      assert.equal(b.seen.popups, 3);
    } finally {
      await b.context.close();
    }
  });

  test('id_token_hint: its own user gets a code; another user\'s gets login_required with prompt=none', async () => {
    const a = await newBrowser();
    const h = await newBrowser();
    try {
      const alice = await appSignIn(a, { expectPage: true, user: 'alice' });
      const hank = await appSignIn(h, { expectPage: true, user: 'hank' });
      const own = await appSignIn(a, { client: 'other', extra: { prompt: 'none', id_token_hint: alice.tokens.id_token } });
      assert.equal(own.claims.sub, USERS.alice.uuid);
      const otherUser = await appSignIn(a, { client: 'other', extra: { prompt: 'none', id_token_hint: hank.tokens.id_token } });
      assert.equal(otherUser.params.error, 'login_required');
      // A token that is not ours is not this session's user either.
      const [hd, pl] = alice.tokens.id_token.split('.');
      const forged = `${hd}.${pl}.${'A'.repeat(342)}`;
      const bad = await appSignIn(a, { extra: { prompt: 'none', id_token_hint: forged } });
      assert.equal(bad.params.error, 'login_required');
    } finally {
      await a.context.close();
      await h.context.close();
    }
  });

  test('a session survives a restart of the provider', async () => {
    const b = await newBrowser();
    try {
      const first = await appSignIn(b, { expectPage: true, user: 'fred' });
      assert.equal((await p.stop()).code, 0);
      await p.launch();
      const again = await appSignIn(b, { client: 'other', extra: { prompt: 'none' } });
      assert.equal(again.claims.sub, USERS.fred.uuid);
      assert.equal(again.claims.auth_time, first.claims.auth_time);
      assert.equal(b.seen.popups, 1);
    } finally {
      await b.context.close();
    }
  });
});

describe('access re-checks', () => {
  test(`an un-shared friend is locked out at the next re-check (${RECHECK_S} s), with the no-access page`, async () => {
    const b = await newBrowser();
    try {
      await appSignIn(b, { expectPage: true, user: 'fred' });
      const calls = async () => (await fake.log()).filter((e) => e.endpoint === 'resources').length;
      const before1 = await calls();
      await fake.unshare('fred');
      // Within access_recheck the session is trusted as it is: no call.
      const early = await authorizeAs(b);
      assert.equal(early.status, 302);
      assert.ok(new URL(early.location).searchParams.get('code'));
      assert.equal(await calls(), before1, 'no plex.tv call while the check is fresh');
      await sleep(RECHECK_S * 1000 + 500);
      const late = await authorizeAs(b);
      assert.equal(late.status, 403, late.text.slice(0, 300));
      assert.match(late.text, /No access for this Plex account/);
      assert.match(late.text, /Fred Weasley/);
      assert.equal(await calls(), before1 + 1, 'one re-check');
      const setCookie = late.headers.getSetCookie().find((c) => c.startsWith('plexoidc_session='));
      assert.match(setCookie ?? '', /Max-Age=0/, 'the session cookie is removed');
      // The ended session is refused even if the browser kept the cookie.
      const replay = await request(`${p.base}/authorize?client_id=app&redirect_uri=${encodeURIComponent(`${rpServer.base}/cb`)}` +
        '&response_type=code&scope=openid&prompt=none&state=r',
      { headers: { cookie: (await b.context.cookies(p.base)).map((c) => `${c.name}=${c.value}`).join('; ') } });
      assert.equal(replay.status, 302);
      assert.equal(new URL(replay.location).searchParams.get('error'), 'login_required');
    } finally {
      await fake.share('fred');
      await b.context.close();
    }
  });

  test(`concurrent requests of one session share one re-check`, async () => {
    const b = await newBrowser();
    try {
      await appSignIn(b, { expectPage: true, user: 'hank' });
      await sleep(RECHECK_S * 1000 + 500);
      const calls = async () => (await fake.log()).filter((e) => e.endpoint === 'resources').length;
      const before1 = await calls();
      const answers = await Promise.all(Array.from({ length: 8 }, () => authorizeAs(b)));
      for (const r of answers) assert.equal(r.status, 302);
      assert.equal(await calls(), before1 + 1, 'one plex.tv call for eight requests');
    } finally {
      await b.context.close();
    }
  });

  test(`plex.tv down: the last good answer holds for access_grace (${GRACE_S} s), then "Plex is not answering"`, async () => {
    const b = await newBrowser();
    try {
      await appSignIn(b, { expectPage: true, user: 'mia' });
      const t0 = Date.now(); // just after the session's last good check
      // One re-check fails; the next one (LIM_ACCESS_RETRY_S later) works.
      await fake.fault('resources', 'status:503', 1);
      await sleep(Math.max(0, t0 + RECHECK_S * 1000 + 500 - Date.now()));
      const held = await authorizeAs(b);
      assert.equal(held.status, 302, 'within the grace: the last good answer holds');
      assert.ok(new URL(held.location).searchParams.get('code'));
      await sleep(Math.max(0, t0 + (GRACE_S + 2) * 1000 - Date.now()));
      const past = await authorizeAs(b);
      assert.equal(past.status, 503);
      assert.match(past.text, /Plex is not answering/);
      assert.equal(past.headers.get('retry-after'), '30');
      const none = await authorizeAs(b, { prompt: 'none' });
      assert.equal(new URL(none.location).searchParams.get('error'), 'temporarily_unavailable');
      // Back as soon as plex.tv answers: the failed check is not repeated
      // on every request, but after LIM_ACCESS_RETRY_S (15 s).
      await sleep(Math.max(0, t0 + (RECHECK_S + 16) * 1000 - Date.now()));
      const back = await authorizeAs(b);
      assert.equal(back.status, 302);
      assert.ok(new URL(back.location).searchParams.get('code'));
    } finally {
      await fake.reset();
      await b.context.close();
    }
  });
});

describe('keys', () => {
  test('after a key rotation, tokens signed just before still verify; new ones use the pre-published key', async () => {
    const b = await newBrowser();
    try {
      const before1 = await appSignIn(b, { expectPage: true, user: 'alice' });
      const oldKid = decodeJwt(before1.tokens.id_token).header.kid;
      const jwks1 = (await request(`${p.base}/jwks`)).json();
      const nextKid = jwks1.keys.map((k) => k.kid).find((k) => k !== oldKid);
      assert.ok(nextKid, 'the next key is published before it signs');
      const r = spawnSync(BIN, ['rotate-keys', '--config', p.configPath, '--force'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      // The running provider reads the ring again within a few seconds.
      let jwks2;
      for (let i = 0; i < 40; i++) {
        jwks2 = (await request(`${p.base}/jwks`)).json();
        if (jwks2.keys.length === 3) break;
        await sleep(250);
      }
      assert.equal(jwks2.keys.length, 3, 'previous, current (the old next) and a new next');
      assert.ok(jwks2.keys.some((k) => k.kid === oldKid), 'the previous key is still published');
      assert.ok(jwks2.keys.some((k) => k.kid === nextKid));
      // New tokens: the key relying parties have seen for a while.
      const after1 = await appSignIn(b, { client: 'other' });
      assert.equal(decodeJwt(after1.tokens.id_token).header.kid, nextKid, 'signed with the pre-published key');
      // The token from before the rotation verifies against the new JWKS.
      assert.ok(verifyRs256(before1.tokens.id_token, jwks2.keys.find((k) => k.kid === oldKid)));
    } finally {
      await b.context.close();
    }
  });
});

describe('refresh tokens', () => {
  const refresh = async (client, token, extra = {}) => {
    const c = p.client(client);
    return request(`${p.base}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${c.id}:${c.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, ...extra }),
    });
  };

  test('offline_access gives a refresh token; refresh works (openid-client), rotates, and refuses reuse', async () => {
    const b = await newBrowser();
    try {
      const s = await appSignIn(b, { expectPage: true, user: 'hank', scope: 'openid profile email offline_access' });
      const rt1 = s.tokens.refresh_token;
      assert.ok(rt1, 'a refresh token');
      assert.match(s.tokens.scope, /offline_access/);
      // openid-client's refresh grant: a new ID token for the same user and sign-in.
      const t2 = await s.rp.o.refreshTokenGrant(s.rp.config, rt1);
      assert.equal(t2.claims().sub, USERS.hank.uuid);
      assert.equal(t2.claims().auth_time, s.claims.auth_time, 'the original sign-in (OIDC Core §12.2)');
      assert.equal(t2.claims().nonce, undefined);
      assert.ok(t2.refresh_token && t2.refresh_token !== rt1, 'rotated');
      const info = await s.rp.o.fetchUserInfo(s.rp.config, t2.access_token, USERS.hank.uuid);
      assert.equal(info.email, USERS.hank.email);
      // The old token again: a reuse; the whole chain ends.
      const reuse = await refresh('app', rt1);
      assert.equal(reuse.status, 400);
      assert.equal(reuse.json().error, 'invalid_grant');
      const afterReuse = await refresh('app', t2.refresh_token);
      assert.equal(afterReuse.json().error, 'invalid_grant', 'the newer token of the chain is revoked too');
    } finally {
      await b.context.close();
    }
  });

  test('bound to its client; a narrower scope only; refresh_tokens = no; tampered tokens', async () => {
    const b = await newBrowser();
    try {
      const s = await appSignIn(b, { expectPage: true, user: 'alice', scope: 'openid profile offline_access' });
      const rt = s.tokens.refresh_token;
      const other = await refresh('other', rt);
      assert.equal(other.status, 400);
      assert.equal(other.json().error, 'invalid_grant');
      const wider = await refresh('app', rt, { scope: 'openid profile email' });
      assert.equal(wider.json().error, 'invalid_scope', 'email was not granted');
      const narrow = await refresh('app', rt, { scope: 'openid' });
      assert.equal(narrow.status, 200, narrow.text);
      assert.equal(decodeJwt(narrow.json().id_token).payload.name, undefined, 'openid alone: no profile claims');
      const flipped = `${narrow.json().refresh_token.slice(0, 30)}${narrow.json().refresh_token[30] === 'A' ? 'B' : 'A'}` +
        narrow.json().refresh_token.slice(31);
      const tampered = await refresh('app', flipped);
      assert.equal(tampered.json().error, 'invalid_grant');
      // A client with refresh_tokens = no gets none, and may not use one.
      const nr = await appSignIn(b, { client: 'norefresh', scope: 'openid offline_access' });
      assert.equal(nr.tokens.refresh_token, undefined);
      assert.doesNotMatch(nr.tokens.scope, /offline_access/);
      const refused = await refresh('norefresh', narrow.json().refresh_token);
      assert.equal(refused.json().error, 'unauthorized_client');
    } finally {
      await b.context.close();
    }
  });

  test('a refresh token survives a restart; an un-shared friend is refused at the next re-check', async () => {
    const b = await newBrowser();
    try {
      const s = await appSignIn(b, { expectPage: true, user: 'fred', scope: 'openid offline_access' });
      assert.equal((await p.stop()).code, 0);
      await p.launch();
      const r1 = await refresh('app', s.tokens.refresh_token);
      assert.equal(r1.status, 200, r1.text);
      await fake.unshare('fred');
      await sleep(RECHECK_S * 1000 + 500);
      const r2 = await refresh('app', r1.json().refresh_token);
      assert.equal(r2.status, 400);
      assert.equal(r2.json().error, 'invalid_grant');
      assert.match(r2.json().error_description, /no longer shared/);
    } finally {
      await fake.share('fred');
      await b.context.close();
    }
  });
});

describe('logout (RP-Initiated Logout 1.0)', () => {
  test('discovery lists the end_session_endpoint, prompt values, refresh_token and offline_access', async () => {
    const d = (await request(`${p.base}/.well-known/openid-configuration`)).json();
    assert.equal(d.end_session_endpoint, `${p.base}/logout`);
    assert.deepEqual(d.prompt_values_supported, ['none', 'login', 'consent', 'select_account']);
    assert.ok(d.grant_types_supported.includes('refresh_token'));
    assert.ok(d.scopes_supported.includes('offline_access'));
  });

  test('with the ID token as hint: signed out at once, back to the registered address with state', async () => {
    const b = await newBrowser();
    try {
      const s = await appSignIn(b, { expectPage: true, user: 'alice' });
      const kept = (await b.context.cookies(p.base)).find((c) => c.name === 'plexoidc_session');
      const page = await b.context.newPage();
      const u = new URL(`${p.base}/logout`);
      u.searchParams.set('id_token_hint', s.tokens.id_token);
      u.searchParams.set('post_logout_redirect_uri', `${rpServer.base}/bye`);
      u.searchParams.set('state', 'xyz');
      await page.goto(u.href);
      await page.waitForURL((x) => x.href.startsWith(`${rpServer.base}/bye`));
      assert.equal(new URL(page.url()).searchParams.get('state'), 'xyz');
      await page.close();
      assert.equal((await b.context.cookies(p.base)).find((c) => c.name === 'plexoidc_session'), undefined);
      const none = await appSignIn(b, { extra: { prompt: 'none' } });
      assert.equal(none.params.error, 'login_required');
      // The cookie from before the logout, replayed, is refused.
      const replay = await request(`${p.base}/authorize?client_id=app&redirect_uri=${encodeURIComponent(`${rpServer.base}/cb`)}` +
        '&response_type=code&scope=openid&prompt=none&state=r', { headers: { cookie: `${kept.name}=${kept.value}` } });
      assert.equal(new URL(replay.location).searchParams.get('error'), 'login_required');
    } finally {
      await b.context.close();
    }
  });

  test('without a hint: the user confirms; a link alone signs nobody out', async () => {
    const b = await newBrowser();
    try {
      await appSignIn(b, { expectPage: true, user: 'hank' });
      const page = await b.context.newPage();
      await page.goto(`${p.base}/logout?client_id=app&post_logout_redirect_uri=${encodeURIComponent(`${rpServer.base}/bye`)}`);
      await page.waitForSelector('#signout');
      assert.match(await page.textContent('body'), /Sign out\?/);
      assert.match(await page.textContent('body'), /Hank Pym/);
      // Only visiting the page changed nothing.
      const still = await appSignIn(b, { client: 'other', extra: { prompt: 'none' } });
      assert.equal(still.claims.sub, USERS.hank.uuid);
      await page.click('#signout');
      await page.waitForURL((x) => x.href.startsWith(`${rpServer.base}/bye`));
      await page.close();
      const gone = await appSignIn(b, { extra: { prompt: 'none' } });
      assert.equal(gone.params.error, 'login_required');
    } finally {
      await b.context.close();
    }
  });

  test('an unregistered post_logout_redirect_uri gets an error page, never a redirect', async () => {
    for (const q of [`client_id=app&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`,
      `post_logout_redirect_uri=${encodeURIComponent(`${rpServer.base}/bye`)}`,
      `client_id=nobody&post_logout_redirect_uri=${encodeURIComponent(`${rpServer.base}/bye`)}`]) {
      const r = await request(`${p.base}/logout?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.location, null);
    }
  });

  test('the login page offers "Sign out" when the browser has a session', async () => {
    const b = await newBrowser();
    try {
      await appSignIn(b, { expectPage: true, user: 'alice' });
      const page = await b.context.newPage();
      const u = new URL(`${p.base}/authorize`);
      for (const [k, v] of Object.entries({ client_id: 'app', redirect_uri: `${rpServer.base}/cb`, response_type: 'code',
        scope: 'openid', prompt: 'login' })) u.searchParams.set(k, v);
      await page.goto(u.href);
      await page.waitForSelector('#signin');
      const link = await page.$('a[href$="/logout"]');
      assert.ok(link, 'a Sign out link');
      assert.match(await link.textContent(), /Sign out/);
      await page.close();
    } finally {
      await b.context.close();
    }
  });
});

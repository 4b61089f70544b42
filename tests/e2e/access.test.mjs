// access.test.mjs - who gets in: the owner, Plex Home members, friends the
// server is shared with, managed users without email; and who does not:
// accounts without access and accounts with only a pending invitation
// (docs/PLEX-API.md, "May the user use our server").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  authRequest, findSecrets, loginForCode, loginHttp, redeem, relyingParty, request, startStack, USERS,
} from './lib/harness.mjs';

let stack;
let p;
const issued = [];

before(async () => {
  stack = await startStack();
  p = stack.provider;
});

after(async () => {
  await stack?.stop();
});

// Signs in as user over HTTP, redeems with openid-client (signature, iss,
// aud, nonce, state, PKCE checked), fetches userinfo. Returns claims.
async function signIn(user, scope = 'openid profile email') {
  const req = authRequest(p, { scope });
  const ctx = await loginForCode(p, { user, request: req });
  assert.equal(ctx.redirect.base, req.params.redirect_uri);
  assert.equal(ctx.redirect.params.state, req.params.state);
  assert.equal(ctx.redirect.params.iss, p.base);
  const rp = await relyingParty(p);
  const { tokens, claims } = await redeem(rp, ctx.callbackUrl, req);
  issued.push(ctx.code, tokens.access_token, tokens.id_token);
  const info = await rp.o.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
  assert.equal(info.sub, claims.sub);
  return { claims, info, tokens };
}

// The sign-ins are independent (each its own browser), so they run side by
// side: most of a sign-in is waiting for the once-a-second PIN poll.
describe('access to the server', { concurrency: true }, () => {
  describe('allowed', () => {
    test('owner (alice)', async () => {
      const { claims, info } = await signIn('alice');
      assert.equal(claims.sub, USERS.alice.uuid);
      assert.equal(claims.name, USERS.alice.name);
      assert.equal(claims.preferred_username, 'alice');
      assert.equal(claims.email, USERS.alice.email);
      assert.equal(claims.email_verified, true);
      assert.equal(claims.picture, `https://plex.tv/users/${USERS.alice.uuid}/avatar?c=1731605021`);
      assert.equal(info.email, USERS.alice.email);
    });

    test('Plex Home member (hank)', async () => {
      const { claims } = await signIn('hank');
      assert.equal(claims.sub, USERS.hank.uuid);
      assert.equal(claims.preferred_username, 'hank');
      assert.equal(claims.email, USERS.hank.email);
      assert.equal(claims.email_verified, true);
    });

    test('friend with an accepted share and a JWT-sized Plex token (fred)', async () => {
      const { claims } = await signIn('fred');
      assert.equal(claims.sub, USERS.fred.uuid);
      assert.equal(claims.preferred_username, 'fred.w');
      assert.equal(claims.name, USERS.fred.name);
      assert.equal(claims.email, USERS.fred.email);
    });

    test('managed Home user without email or username (mia): no email claim, name present', async () => {
      const { claims, info } = await signIn('mia');
      assert.equal(claims.sub, USERS.mia.uuid);
      assert.equal(claims.name, 'Mia');
      if (claims.preferred_username !== undefined) {
        assert.equal(typeof claims.preferred_username, 'string');
        assert.notEqual(claims.preferred_username, '');
      }
      for (const c of [claims, info]) {
        assert.equal(c.email, undefined);
        assert.equal(c.email_verified, undefined);
      }
      assert.equal(info.name, 'Mia');
    });

    test('scope openid only: sub and no profile or email claims', async () => {
      const { claims, info } = await signIn('hank', 'openid');
      assert.equal(claims.sub, USERS.hank.uuid);
      for (const c of ['name', 'preferred_username', 'picture', 'email', 'email_verified']) {
        assert.equal(claims[c], undefined, `ID token ${c}`);
        assert.equal(info[c], undefined, `userinfo ${c}`);
      }
    });
  });

  describe('denied', () => {
    // A denied sign-in: state "denied", then a 403 page that names the
    // account and offers another account; no code, ever.
    async function assertDenied(user) {
      const ctx = await loginHttp(p, { user });
      assert.equal(ctx.outcome.state, 'denied');
      assert.ok(ctx.outcome.next, 'denied has a next URL');
      const page = ctx.final;
      assert.equal(page.status, 403, `HTTP ${page.status} ${page.location ?? ''}`);
      assert.equal(page.location, null, 'no redirect to the app');
      assert.match(page.headers.get('content-type'), /^text\/html/);
      const u = USERS[user];
      assert.ok(page.text.includes(u.name) || page.text.includes(u.username), `the page names ${user}`);
      assert.doesNotMatch(page.text, /code=/, 'no code on the page');
      // "Sign in with another Plex account" starts over on our own endpoint.
      const links = [...page.text.matchAll(/<a\b[^>]*href="([^"]+)"[^>]*>([^<]*)</g)]
        .map((m) => ({ href: m[1].replaceAll('&amp;', '&'), text: m[2] }));
      const again = links.find((l) => l.href.startsWith(`${p.base}/authorize?`));
      assert.ok(again, `a link back to /authorize: ${JSON.stringify(links)}`);
      assert.match(again.text, /another/i);
      assert.equal(new URL(again.href).searchParams.get('client_id'), 'app');
      // Finishing anyway gives no code.
      const fin = await request(p.url(`/login/finish?l=${ctx.loginId}`), { jar: ctx.jar });
      assert.ok(fin.location === null || !fin.location.includes('code='), `finish after denial: ${fin.location}`);
      return ctx;
    }

    test('no access (nora): 403 page naming the account', async () => {
      const ctx = await assertDenied('nora');
      assert.ok(ctx.final.text.includes(USERS.nora.name));
    });

    test('only a pending invitation (pete): denied', async () => {
      await assertDenied('pete');
    });
  });
});

test('no secrets in the provider log', async () => {
  const users = await stack.fake.users();
  const pins = await stack.fake.pins();
  const secrets = [
    ...Object.values(p.clients).map((c) => c.secret),
    ...users.map((u) => u.token),
    ...pins.map((x) => x.authToken).filter(Boolean),
    ...issued.filter(Boolean),
  ];
  assert.ok(pins.some((x) => x.authToken && x.authToken.length > 400), 'a JWT-sized Plex token was used');
  assert.deepEqual(findSecrets(p.logText(), secrets).map((s) => `${s.slice(0, 6)}…`), []);
});

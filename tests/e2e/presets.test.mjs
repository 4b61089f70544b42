// presets.test.mjs - [client.ID] preset (docs/INTEGRATIONS.md, "Presets"):
// for every preset, a sign-in through openid-client with the token
// endpoint method the preset sets, and where each claim lands (the ID
// token or only UserInfo, groups with or without the groups scope); then
// what each preset refuses: a request without PKCE, the other client
// authentication method, an account without email. The fake plex.tv's
// alice owns the server; mia is a managed Plex Home user without email.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  authRequest, basicAuth, FakePlex, form, loginHttp, Provider, randomSecret, redeem, relyingParty, REPO,
  request, startRpServer, tokenRequest, USERS,
} from './lib/harness.mjs';

// What the table in src/config/config_preset.c says, and docs/INTEGRATIONS.md
// with it. auth: the method the relying party uses here ('basic' where the
// preset accepts either); only: the one method accepted, if any; idToken:
// 'all' or 'none' (the user claims of the ID token); groups: sent without
// the groups scope; email: an account without email is refused.
const PRESETS = {
  cloudflare: { auth: 'basic', pkce: false, idToken: 'all', groups: true, email: true },
  grafana: { auth: 'basic', pkce: false, idToken: 'all', groups: false, email: true },
  'oauth2-proxy': { auth: 'basic', pkce: false, idToken: 'all', groups: false, email: true },
  jellyfin: { auth: 'post', only: 'post', pkce: true, idToken: 'all', groups: false, email: false },
  'home-assistant': { auth: 'none', only: 'none', pkce: true, idToken: 'all', groups: false, email: false },
  proxmox: { auth: 'basic', only: 'basic', pkce: true, idToken: 'all', groups: false, email: false },
  portainer: { auth: 'basic', pkce: false, idToken: 'none', groups: false, email: false },
  immich: { auth: 'post', only: 'post', pkce: true, idToken: 'all', groups: false, email: true },
  nextcloud: { auth: 'post', only: 'post', pkce: true, idToken: 'all', groups: true, email: false },
  generic: { auth: 'basic', pkce: false, idToken: 'all', groups: false, email: false },
};
// The claims of the protocol, not of the user.
const PROTOCOL = ['iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash'];
const userClaims = (o) => Object.fromEntries(Object.entries(o).filter(([k]) => !PROTOCOL.includes(k)));

let fake;
let rp;
let p;

before(async () => {
  rp = await startRpServer();
  fake = await FakePlex.start();
  const clients = {};
  for (const [name, want] of Object.entries(PRESETS)) {
    clients[name] = {
      // a public client has no secret; home-assistant's is registered
      // without a port (RFC 8252 §7.3) and used with the RP's
      secret: want.auth === 'none' ? undefined : randomSecret(),
      redirect_uris: [want.auth === 'none' ? `http://127.0.0.1/cb-${name}` : `${rp.base}/cb-${name}`],
      name: `App ${name}`,
      extra: [`preset = ${name}`],
    };
  }
  p = await Provider.start({ fake, ownerId: 22526914, clients });
});

after(async () => {
  await p?.stop();
  await fake?.stop();
  await rp?.close();
});

const redirectOf = (name) => `${rp.base}/cb-${name}`;

// One Plex sign-in per user (plex.tv PINs are rate-limited per network):
// later authorization requests of the same browser are answered from its
// sign-on session, as they are for a household's apps.
const browsers = {};
async function browserOf(user) {
  browsers[user] ??= (await loginHttp(p, {
    user, request: authRequest(p, { client: 'generic', redirectUri: redirectOf('generic') }),
  })).jar;
  return browsers[user];
}

// GET /authorize for req in user's browser: the response (a 302 with a
// code, an error redirect, or a page).
async function authorizeAs(user, req) {
  const u = new URL(p.url('/authorize'));
  for (const [k, v] of Object.entries(req.params)) u.searchParams.set(k, v);
  return request(u, { jar: await browserOf(user) });
}

// A sign-in of user to the preset's client, the code redeemed by
// openid-client with the preset's method; the ID token's claims and
// UserInfo's.
async function signIn(name, user = 'alice', scope = 'openid profile email') {
  const want = PRESETS[name];
  const req = authRequest(p, { client: name, scope, redirectUri: redirectOf(name), pkce: true });
  const res = await authorizeAs(user, req);
  assert.equal(res.status, 302, res.text.slice(0, 300));
  const party = await relyingParty(p, { client: name, auth: want.auth });
  const { tokens, claims } = await redeem(party, res.location, req);
  const info = await party.o.fetchUserInfo(party.config, tokens.access_token, claims.sub);
  return { claims, info, tokens };
}

describe('the table', () => {
  test('docs/INTEGRATIONS.md ("Presets") says what this file tests, row for row', () => {
    const text = fs.readFileSync(path.join(REPO, 'docs/INTEGRATIONS.md'), 'utf8');
    const section = text.split('\n## Presets\n')[1]?.split('\n## ')[0] ?? '';
    const auth = { either: undefined, '`client_secret_post`': 'post', '`client_secret_basic`': 'basic',
      '`none` (public)': 'none' };
    const rows = {};
    for (const m of section.matchAll(/^\| `([a-z0-9-]+)` \| ([^|]+) \| (yes|no) \| (all|none) \| (yes|no) \| (yes|no) \|$/gm)) {
      rows[m[1]] = { only: auth[m[2].trim()], pkce: m[3] === 'yes', idToken: m[4], groups: m[5] === 'yes', email: m[6] === 'yes' };
    }
    const want = Object.fromEntries(Object.entries(PRESETS).map(([k, v]) => [k, {
      only: v.only, pkce: v.pkce, idToken: v.idToken, groups: v.groups, email: v.email,
    }]));
    assert.deepEqual(rows, want);
  });
});

describe('each preset: a sign-in with openid-client, and where the claims land', () => {
  for (const [name, want] of Object.entries(PRESETS)) {
    test(`${name}: ${want.auth} at the token endpoint, ID token ${want.idToken}, groups ${want.groups ? 'always' : 'by scope'}`,
      async () => {
        const { claims, info } = await signIn(name);
        const a = USERS.alice;
        // UserInfo: everything the scopes release, for every preset
        assert.equal(info.sub, a.uuid);
        assert.equal(info.email, a.email);
        assert.equal(info.preferred_username, a.username);
        assert.equal(info.name, a.name);
        if (want.groups) assert.deepEqual(info.groups, ['plex-owner'], 'groups without the groups scope');
        else assert.equal(info.groups, undefined, 'no groups without the groups scope');
        if (want.idToken === 'all') {
          // the ID token carries the same claims, with the same values
          assert.deepEqual(userClaims(claims), info);
        } else {
          assert.deepEqual(userClaims(claims), { sub: a.uuid }, 'the ID token names the user and nothing else');
        }
      });
  }

  test('with the groups scope, groups for every preset; in the ID token unless it carries none', async () => {
    for (const name of ['generic', 'portainer', 'jellyfin']) {
      const { claims, info } = await signIn(name, 'hank', 'openid profile email groups');
      assert.deepEqual(info.groups, ['plex-home'], name);
      if (PRESETS[name].idToken === 'all') assert.deepEqual(claims.groups, ['plex-home'], name);
      else assert.equal(claims.groups, undefined, name);
    }
  });

  test('discovery lists the methods these clients accept, none included', async () => {
    const doc = (await request(p.url('/.well-known/openid-configuration'))).json();
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
  });
});

describe('what each preset refuses', () => {
  for (const [name, want] of Object.entries(PRESETS)) {
    test(`${name}: an authorization request without PKCE is ${want.pkce ? 'refused (invalid_request)' : 'accepted'}`,
      async () => {
        const req = authRequest(p, { client: name, redirectUri: redirectOf(name), pkce: false });
        const u = new URL(p.url('/authorize'));
        for (const [k, v] of Object.entries(req.params)) u.searchParams.set(k, v);
        const res = await request(u);
        if (want.pkce) {
          // RFC 7636 §4.4.1: an error redirect, never a login page
          assert.equal(res.status, 302, res.text.slice(0, 200));
          const back = new URL(res.location);
          assert.equal(`${back.origin}${back.pathname}`, redirectOf(name));
          assert.equal(back.searchParams.get('error'), 'invalid_request');
          assert.match(back.searchParams.get('error_description'), /code_challenge is required/);
          assert.equal(back.searchParams.get('state'), req.params.state);
        } else {
          assert.equal(res.status, 200, 'the login page');
        }
      });
  }

  for (const [name, want] of Object.entries(PRESETS).filter(([, w]) => w.only && w.only !== 'none')) {
    test(`${name}: a secret sent the other way (${want.only === 'post' ? 'Basic' : 'in the body'}) is refused`,
      async () => {
        const req = authRequest(p, { client: name, redirectUri: redirectOf(name) });
        const code = new URL((await authorizeAs('alice', req)).location).searchParams.get('code');
        assert.ok(code);
        const wrong = want.only === 'post' ? 'basic' : 'post';
        const res = await tokenRequest(p, {
          client: name, code, redirectUri: redirectOf(name), verifier: req.verifier, auth: wrong,
        });
        assert.equal(res.status, 401);
        assert.equal(res.json().error, 'invalid_client');
        assert.match(res.json().error_description, new RegExp(`client_secret_${want.only}`));
        // ...and the code was not spent: the right way still works
        const ok = await tokenRequest(p, {
          client: name, code, redirectUri: redirectOf(name), verifier: req.verifier, auth: want.only,
        });
        assert.equal(ok.status, 200, ok.text);
      });
  }

  for (const [name, want] of Object.entries(PRESETS)) {
    test(`${name}: an account without email (mia) is ${want.email ? 'refused with a page naming the app' : 'let in'}`,
      async () => {
        const req = authRequest(p, { client: name, redirectUri: redirectOf(name), pkce: true });
        const res = await authorizeAs('mia', req);
        if (want.email) {
          assert.equal(res.status, 403);
          assert.ok(!res.location, 'no code');
          assert.match(res.text, new RegExp(`App ${name} needs an email address`));
          assert.match(res.text, /Sign out/);
        } else {
          assert.equal(res.status, 302);
          assert.ok(new URL(res.location).searchParams.get('code'));
        }
      });
  }

  test('...and at the end of a Plex sign-in, the same page and no code', async () => {
    const req = authRequest(p, { client: 'immich', redirectUri: redirectOf('immich') });
    const ctx = await loginHttp(p, { user: 'mia', request: req });
    assert.equal(ctx.outcome.state, 'done', 'mia has access to the server');
    assert.equal(ctx.final.status, 403);
    assert.ok(!ctx.final.location);
    assert.match(ctx.final.text, /App immich needs an email address/);
  });

  test('a signed-in account without email gets access_denied from an app that needs one, with prompt=none', async () => {
    const req = authRequest(p, { client: 'grafana', redirectUri: redirectOf('grafana'), overrides: { prompt: 'none' } });
    const res = await authorizeAs('mia', req);
    assert.equal(res.status, 302);
    const back = new URL(res.location);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.match(back.searchParams.get('error_description'), /requires an email address/);
    assert.equal(back.searchParams.get('code'), null);
  });

  test('the token endpoint says which method, without spending anything on a wrong secret', async () => {
    const c = p.client('jellyfin');
    const res = await request(p.url('/token'), {
      method: 'POST', headers: { authorization: basicAuth(c.id, 'x'.repeat(40)) },
      body: form({ grant_type: 'authorization_code', code: 'nope', redirect_uri: redirectOf('jellyfin') }),
    });
    assert.equal(res.status, 401);
    assert.equal(res.json().error, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
  });
});

// clients.test.mjs - kinds of clients (docs/CONFIGURATION.md, "[client.ID]"):
//   - public clients (public = yes): no secret, token endpoint method none,
//     PKCE S256 required; loopback redirect URIs on any port (RFC 8252
//     §7.3) and private-use URIs (§7.1); a secret or a missing PKCE is
//     refused with the OAuth error RFC 6749 §5.2 / RFC 7636 §4.4.1 name;
//   - hashed secrets (secret_hash, from plex-oidc hash-secret): the right
//     secret works, by Basic and in the body, again and again; a wrong one
//     does not;
//   - WebFinger ([server] webfinger = yes) for Tailscale: the issuer for
//     acct: resources, refusals for everything else.
// openid-client is the relying party; the fake plex.tv's alice signs in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import {
  authRequest, basicAuth, BIN, FakePlex, form, loginForCode, loginHttp, parseRedirect, Provider, randomSecret,
  recordSecret, redeem, relyingParty, request, startRpServer, tokenRequest, USERS,
} from './lib/harness.mjs';

const ISSUER_REL = 'http://openid.net/specs/connect/1.0/issuer';
const NATIVE = 'com.example.app:/oauth2redirect';

let fake;
let rp;
let p; // public, hashed and confidential clients; webfinger on
let off; // webfinger off
const hashed = { secret: randomSecret() };

// plex-oidc hash-secret, the secret on standard input.
function hashSecret(input) {
  const r = spawnSync(BIN, ['hash-secret'], { input, encoding: 'utf8', timeout: 20000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  rp = await startRpServer();
  fake = await FakePlex.start();
  const h = hashSecret(`${hashed.secret}\n`);
  assert.equal(h.status, 0, h.stderr);
  hashed.value = h.stdout.trim();
  p = await Provider.start({
    fake,
    server: ['webfinger = yes'],
    clients: {
      // registered without a port: the app listens where the system lets it
      native: { redirect_uris: ['http://127.0.0.1/callback', NATIVE], extra: ['public = yes'] },
      hashed: { secret: hashed.secret, secretHash: hashed.value, redirect_uris: [`${rp.base}/hashed`] },
      web: { secret: randomSecret(), redirect_uris: [`${rp.base}/web`] },
    },
  });
  off = await Provider.start({ fake, clients: { web: { secret: randomSecret(), redirect_uris: [`${rp.base}/web`] } } });
});

after(async () => {
  await off?.stop();
  await p?.stop();
  await fake?.stop();
  await rp?.close();
});

// The query of an /authorize URL with req's parameters.
function authorizeUrl(prov, req) {
  const u = new URL(prov.url('/authorize'));
  for (const [k, v] of Object.entries(req.params)) u.searchParams.set(k, v);
  return u;
}

describe('public clients', () => {
  test('discovery lists none among the token endpoint methods, with the secret ones', async () => {
    const doc = (await request(p.url('/.well-known/openid-configuration'))).json();
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
    const plain = (await request(off.url('/.well-known/openid-configuration'))).json();
    assert.deepEqual(plain.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post'],
      'none only when a public client is configured');
  });

  test('with PKCE: signed in through openid-client (None), on the loopback port the app happens to have', async () => {
    // registered http://127.0.0.1/callback; the app listens on rp's port
    const redirectUri = `${rp.base}/callback`;
    const req = authRequest(p, { client: 'native', redirectUri });
    const ctx = await loginForCode(p, { user: 'alice', request: req });
    assert.equal(ctx.redirect.base, redirectUri, 'back to the port the request named');
    const party = await relyingParty(p, { client: 'native', auth: 'none' });
    const { tokens, claims } = await redeem(party, ctx.callbackUrl, req);
    assert.equal(claims.sub, USERS.alice.uuid);
    assert.equal(claims.aud, 'native');
    const info = await party.o.fetchUserInfo(party.config, tokens.access_token, claims.sub);
    assert.equal(info.email, USERS.alice.email);
  });

  test('a private-use redirect URI gets the code; the exchange works without a secret', async () => {
    const req = authRequest(p, { client: 'native', redirectUri: NATIVE });
    const ctx = await loginHttp(p, { user: 'alice', request: req });
    assert.equal(ctx.final.status, 302);
    assert.ok(ctx.final.location.startsWith(`${NATIVE}?code=`), ctx.final.location);
    const back = parseRedirect(ctx.final.location);
    assert.equal(back.params.state, req.params.state);
    recordSecret(back.params.code);
    const res = await tokenRequest(p, {
      client: 'native', code: back.params.code, redirectUri: NATIVE, verifier: req.verifier, auth: 'none',
      extra: { client_id: 'native' },
    });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json().id_token);
  });

  test('without PKCE: refused at the authorization endpoint with invalid_request (RFC 7636 §4.4.1)', async () => {
    const req = authRequest(p, { client: 'native', redirectUri: `${rp.base}/callback`, pkce: false });
    const res = await request(authorizeUrl(p, req));
    assert.equal(res.status, 302);
    const back = parseRedirect(res.location);
    assert.equal(back.base, `${rp.base}/callback`);
    assert.equal(back.params.error, 'invalid_request');
    assert.match(back.params.error_description, /public client must use PKCE/);
    assert.equal(back.params.code, undefined);
  });

  test('a secret, by Basic or in the body, is refused with invalid_client (RFC 6749 §5.2)', async () => {
    for (const auth of ['basic', 'post']) {
      const req = authRequest(p, { client: 'native', redirectUri: `${rp.base}/callback` });
      const ctx = await loginForCode(p, { user: 'alice', request: req });
      const res = await tokenRequest(p, {
        client: 'native', secret: 'a-secret-the-public-client-does-not-have-0123', code: ctx.code,
        redirectUri: `${rp.base}/callback`, verifier: req.verifier, auth,
      });
      assert.equal(res.status, 401, auth);
      assert.equal(res.json().error, 'invalid_client', auth);
      assert.match(res.json().error_description, /public client/);
      if (auth === 'basic') assert.match(res.headers.get('www-authenticate'), /^Basic /);
    }
  });

  test('a code without its code_verifier gets invalid_grant', async () => {
    const req = authRequest(p, { client: 'native', redirectUri: `${rp.base}/callback` });
    const ctx = await loginForCode(p, { user: 'alice', request: req });
    const res = await tokenRequest(p, {
      client: 'native', code: ctx.code, redirectUri: `${rp.base}/callback`, auth: 'none', extra: { client_id: 'native' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json().error, 'invalid_grant');
  });

  test('any port, but nothing else: another path, host or scheme gets the error page, never a redirect', async () => {
    for (const redirectUri of [`${rp.base}/callback2`, `http://localhost:${rp.port}/callback`,
      `https://127.0.0.1:${rp.port}/callback`, `http://127.0.0.1.example.com:${rp.port}/callback`,
      'com.example.app:/other', 'com.example.evil:/oauth2redirect']) {
      const req = authRequest(p, { client: 'native', redirectUri });
      const res = await request(authorizeUrl(p, req));
      assert.equal(res.status, 400, redirectUri);
      assert.equal(res.location, null, redirectUri);
      assert.match(res.text, /Unregistered return address/);
    }
  });

  test('a confidential client keeps exact redirect URIs: its loopback URI on another port is refused', async () => {
    const other = `http://127.0.0.1:${rp.port === 65535 ? 1 : rp.port + 1}/web`;
    const res = await request(authorizeUrl(p, authRequest(p, { client: 'web', redirectUri: other })));
    assert.equal(res.status, 400);
    assert.match(res.text, /Unregistered return address/);
  });
});

describe('hashed client secrets', () => {
  test('plex-oidc hash-secret prints a scrypt PHC string, a new salt each time', () => {
    assert.match(hashed.value, /^\$scrypt\$ln=13,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const again = hashSecret(hashed.secret); // no trailing newline: the same secret
    assert.equal(again.status, 0);
    assert.notEqual(again.stdout.trim(), hashed.value);
    assert.ok(!again.stdout.includes(hashed.secret) && !again.stderr.includes(hashed.secret));
  });

  test('hash-secret refuses what a secret in the file would not pass', () => {
    for (const [input, why] of [['', /no secret/], ['short\n', /5 characters long; at least 32/],
      ['with spaces but long enough to pass the length rule\n', /characters other than/],
      [`${'a'.repeat(513)}\n`, /longer than 512/]]) {
      const r = hashSecret(input);
      assert.equal(r.status, 1, input);
      assert.match(r.stderr, why);
      assert.equal(r.stdout, '');
    }
    const extra = spawnSync(BIN, ['hash-secret', hashed.secret], { encoding: 'utf8' });
    assert.equal(extra.status, 2);
    assert.match(extra.stderr, /takes no arguments/);
    assert.ok(!extra.stderr.includes(hashed.secret), 'an argument is not echoed: it may be the secret');
  });

  test('the right secret signs in, by Basic and in the body, and again (openid-client)', async () => {
    for (const auth of ['basic', 'post', 'basic']) {
      const req = authRequest(p, { client: 'hashed' });
      const ctx = await loginForCode(p, { user: 'alice', request: req });
      const party = await relyingParty(p, { client: 'hashed', auth });
      const { claims } = await redeem(party, ctx.callbackUrl, req);
      assert.equal(claims.aud, 'hashed');
    }
  });

  test('a wrong secret gets invalid_client, and the code is not spent', async () => {
    const req = authRequest(p, { client: 'hashed' });
    const ctx = await loginForCode(p, { user: 'alice', request: req });
    for (const secret of [`${hashed.secret.slice(0, -1)}x`, hashed.value, `${hashed.secret}x`]) {
      const res = await tokenRequest(p, { client: 'hashed', secret, code: ctx.code, verifier: req.verifier });
      assert.equal(res.status, 401);
      assert.equal(res.json().error, 'invalid_client');
    }
    const ok = await tokenRequest(p, { client: 'hashed', code: ctx.code, verifier: req.verifier });
    assert.equal(ok.status, 200, ok.text);
  });

  test('the log holds neither the secret nor its hash', () => {
    const log = p.logText();
    assert.ok(!log.includes(hashed.secret));
    assert.ok(!log.includes(hashed.value.split('$').pop()));
  });
});

describe('WebFinger for Tailscale', () => {
  const finger = (prov, query) => request(`${prov.url('/.well-known/webfinger')}?${query}`);
  const rel = `rel=${encodeURIComponent(ISSUER_REL)}`;

  test('acct:USER@DOMAIN with the issuer rel: the issuer, as a JRD', async () => {
    const res = await finger(p, `resource=${encodeURIComponent('acct:you@example.com')}&${rel}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/jrd\+json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(res.json(), { subject: 'acct:you@example.com', links: [{ rel: ISSUER_REL, href: p.base }] });
    // exactly what OpenID Connect Discovery §2 says a client then fetches
    const disc = (await request(`${res.json().links[0].href}/.well-known/openid-configuration`)).json();
    assert.equal(disc.issuer, p.base);
  });

  test('unencoded, without rel, or with the issuer rel among others: the same answer', async () => {
    for (const q of ['resource=acct:alice@example.org', `resource=acct:x.y%2Bz@sub.example.com&rel=self&${rel}`]) {
      const res = await finger(p, q);
      assert.equal(res.status, 200, q);
      assert.equal(res.json().links[0].href, p.base);
    }
  });

  test('another rel only: 404 that says which one is served', async () => {
    const res = await finger(p, `resource=acct:you@example.com&rel=${encodeURIComponent('http://webfinger.net/rel/profile-page')}`);
    assert.equal(res.status, 404);
    assert.match(res.text, /only for rel=http:\/\/openid\.net\/specs\/connect\/1\.0\/issuer/);
  });

  test('no, several or malformed resources: 400 (RFC 7033 §4.2)', async () => {
    for (const q of ['', rel, 'resource=', 'resource=acct:a@example.com&resource=acct:b@example.com',
      'resource=you@example.com', 'resource=mailto:you@example.com', 'resource=acct:you',
      'resource=acct:@example.com', 'resource=acct:you@', 'resource=acct:a@b@example.com',
      'resource=acct:you@exa%20mple.com', 'resource=acct:you@example..com', 'resource=https://example.com/you',
      `resource=acct:${'a'.repeat(600)}@example.com`, 'resource=%ZZ']) {
      const res = await finger(p, q);
      assert.equal(res.status, 400, q);
      assert.match(res.headers.get('content-type'), /^text\/plain/, q);
      assert.ok(res.text.length > 10, q);
    }
  });

  test('POST is not allowed; with webfinger off there is no such page', async () => {
    const post = await request(p.url('/.well-known/webfinger'), { method: 'POST', body: form({ resource: 'acct:a@b.c' }) });
    assert.equal(post.status, 405);
    const res = await finger(off, `resource=acct:you@example.com&${rel}`);
    assert.equal(res.status, 404);
  });
});

describe('the token endpoint stays strict about its callers', () => {
  test('an unknown client, a missing secret, Basic for a public client: invalid_client', async () => {
    const unknown = await request(p.url('/token'), {
      method: 'POST', headers: { authorization: basicAuth('nobody', 'x'.repeat(40)) },
      body: form({ grant_type: 'authorization_code', code: 'x', redirect_uri: `${rp.base}/web` }),
    });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.json().error, 'invalid_client');
    const noSecret = await request(p.url('/token'), {
      method: 'POST', body: form({ grant_type: 'authorization_code', client_id: 'web', code: 'x', redirect_uri: `${rp.base}/web` }),
    });
    assert.equal(noSecret.status, 401);
    assert.equal(noSecret.json().error, 'invalid_client');
  });
});

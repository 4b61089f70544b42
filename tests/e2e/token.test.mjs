// token.test.mjs - the token and userinfo endpoints (RFC 6749 §3.2, §4.1.3,
// §5; RFC 7636 §4.6; RFC 6750 §3; OIDC Core §3.1.3, §5.3).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  atHash, authRequest, basicAuth, decodeJwt, findSecrets, form, loginForCode, pkcePair, redeem, relyingParty, request,
  rsaThumbprint, startStack, tokenRequest, USERS, verifyRs256,
} from './lib/harness.mjs';

let stack;
let p;
const issued = []; // every code, access token and ID token seen, for the log check

before(async () => {
  stack = await startStack();
  p = stack.provider;
});

after(async () => {
  await stack?.stop();
});

async function code(opts = {}) {
  const ctx = await loginForCode(p, opts);
  issued.push(ctx.code);
  return ctx;
}

function assertOAuthError(res, status, error) {
  assert.equal(res.status, status, `HTTP ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = res.json();
  assert.equal(body.error, error, res.text);
  assert.equal(body.access_token, undefined);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  return body;
}

function assertTokens(res) {
  assert.equal(res.status, 200, res.text);
  const body = res.json();
  issued.push(body.access_token, body.id_token);
  assert.equal(typeof body.access_token, 'string');
  assert.equal(body.token_type.toLowerCase(), 'bearer');
  assert.ok(body.expires_in > 0);
  assert.equal(typeof body.id_token, 'string');
  return body;
}

const userinfo = (token, { method = 'GET', body } = {}) => request(p.url('/userinfo'), {
  method,
  headers: token ? { authorization: `Bearer ${token}` } : {},
  body: method === 'POST' ? (body ?? form({})) : undefined,
});

// The sign-ins are independent (each its own browser), so they run side by
// side: most of a sign-in is waiting for the once-a-second PIN poll.
describe('token and userinfo endpoints', { concurrency: true }, () => {
  describe('client authentication', () => {
    test('client_secret_basic and client_secret_post both succeed (openid-client)', async () => {
      for (const auth of ['basic', 'post']) {
        const ctx = await code();
        const rp = await relyingParty(p, { auth });
        const { tokens, claims } = await redeem(rp, ctx.callbackUrl, ctx.request);
        issued.push(tokens.access_token, tokens.id_token);
        assert.equal(claims.sub, USERS.alice.uuid);
        assert.equal(claims.aud, 'app');
      }
    });

    test('wrong secret with Basic -> 401 invalid_client + WWW-Authenticate Basic; the code survives', async () => {
      const ctx = await code();
      const bad = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier, auth: 'basic',
        secret: `${p.client().secret}x` });
      assertOAuthError(bad, 401, 'invalid_client');
      assert.match(bad.headers.get('www-authenticate') ?? '', /^Basic\b/i);
      // golang.org/x/oauth2 retries with the secret in the body after a clean
      // 401: the code must not have been burnt by a failed client auth.
      const good = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier, auth: 'post' });
      assertTokens(good);
    });

    test('wrong secret in the body -> 401 invalid_client', async () => {
      const ctx = await code();
      const bad = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier, auth: 'post',
        secret: 'not-the-secret-not-the-secret-not-the-secret' });
      assertOAuthError(bad, 401, 'invalid_client');
    });

    test('unknown client and no client authentication -> 401 invalid_client', async () => {
      const ctx = await code();
      const r1 = await request(p.url('/token'), {
        method: 'POST',
        headers: { authorization: basicAuth('nosuchclient', p.client().secret) },
        body: form({ grant_type: 'authorization_code', code: ctx.code, redirect_uri: ctx.request.params.redirect_uri,
          code_verifier: ctx.request.verifier }),
      });
      assertOAuthError(r1, 401, 'invalid_client');
      const r2 = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier, auth: 'none',
        extra: { client_id: 'app' } });
      assertOAuthError(r2, 401, 'invalid_client');
    });
  });

  describe('the code', () => {
    test('reuse -> invalid_grant and the access token issued with it is revoked', async () => {
      const ctx = await code();
      const first = assertTokens(await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier }));
      const ok = await userinfo(first.access_token);
      assert.equal(ok.status, 200);
      assert.equal(ok.json().sub, USERS.alice.uuid);

      const again = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier });
      assertOAuthError(again, 400, 'invalid_grant');
      const revoked = await userinfo(first.access_token);
      assert.equal(revoked.status, 401, 'the access token of a replayed code must be revoked');
      assert.match(revoked.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      // And a third try is still refused.
      assertOAuthError(await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier }), 400, 'invalid_grant');
    });

    test('unknown code -> invalid_grant', async () => {
      const r = await tokenRequest(p, { code: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', verifier: 'x'.repeat(43) });
      assertOAuthError(r, 400, 'invalid_grant');
    });

    test('wrong PKCE verifier -> invalid_grant', async () => {
      const ctx = await code();
      const wrong = pkcePair().verifier; // well-formed, 43 characters, another value
      assert.notEqual(wrong, ctx.request.verifier);
      const r = await tokenRequest(p, { code: ctx.code, verifier: wrong });
      assertOAuthError(r, 400, 'invalid_grant');
    });

    test('missing verifier when a challenge was sent -> invalid_grant', async () => {
      const ctx = await code();
      const r = await tokenRequest(p, { code: ctx.code });
      const body = assertOAuthError(r, 400, 'invalid_grant');
      assert.equal(body.access_token, undefined);
    });

    test('a code is bound to its client', async () => {
      // "other" has the same redirect URI; only the client differs.
      const ctx = await code();
      const r = await tokenRequest(p, { client: 'other', code: ctx.code, verifier: ctx.request.verifier });
      assertOAuthError(r, 400, 'invalid_grant');
    });

    test('redirect_uri mismatch -> invalid_grant', async () => {
      const ctx = await code();
      const r = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier,
        redirectUri: p.client().redirect_uris[1] });
      assertOAuthError(r, 400, 'invalid_grant');
    });

    test('unsupported grant_type', async () => {
      const r = await tokenRequest(p, { code: 'x', extra: { grant_type: 'password' } });
      assertOAuthError(r, 400, 'unsupported_grant_type');
    });

    test('code flow without PKCE and without nonce works', async () => {
      const req = authRequest(p, { pkce: false, nonce: false });
      const ctx = await code({ request: req });
      const rp = await relyingParty(p);
      const tokens = await rp.o.authorizationCodeGrant(rp.config, new URL(ctx.callbackUrl), {
        expectedState: req.params.state, idTokenExpected: true,
      });
      issued.push(tokens.access_token, tokens.id_token);
      const claims = tokens.claims();
      assert.equal(claims.sub, USERS.alice.uuid);
      assert.equal(claims.nonce, undefined);
    });
  });

  describe('the token response', () => {
    let ctx;
    let res;
    let body;

    before(async () => {
      ctx = await code();
      res = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier });
      body = assertTokens(res);
    });

    test('JSON with Cache-Control: no-store', () => {
      assert.match(res.headers.get('content-type'), /^application\/json/);
      assert.match(res.headers.get('cache-control'), /no-store/);
      assert.equal(body.refresh_token, undefined, 'no refresh token is advertised or issued');
    });

    test('ID token: RS256, kid = JWKS thumbprint, signature, claims, at_hash', async () => {
      const jwks = (await request(p.url('/jwks'))).json();
      const { header, payload } = decodeJwt(body.id_token);
      assert.equal(header.alg, 'RS256');
      const key = jwks.keys.find((k) => k.kid === header.kid);
      assert.ok(key, `kid ${header.kid} in the JWKS`);
      assert.equal(header.kid, rsaThumbprint(key));
      assert.ok(verifyRs256(body.id_token, key), 'signature verifies with the JWKS key');
      const now = Math.floor(Date.now() / 1000);
      assert.equal(payload.iss, p.base);
      assert.ok(payload.aud === 'app' || (Array.isArray(payload.aud) && payload.aud.includes('app')));
      assert.equal(payload.sub, USERS.alice.uuid);
      assert.equal(payload.nonce, ctx.request.params.nonce);
      assert.ok(payload.exp > now, 'exp in the future');
      assert.ok(Math.abs(payload.iat - now) <= 60, 'iat recent');
      assert.ok(payload.auth_time <= payload.iat + 1 && payload.auth_time >= now - 120, 'auth_time recent');
      assert.equal(payload.at_hash, atHash(body.access_token));
      // scope openid profile email
      assert.equal(payload.name, USERS.alice.name);
      assert.equal(payload.preferred_username, 'alice');
      assert.match(payload.picture, /^https:\/\//);
      assert.equal(payload.email, USERS.alice.email);
      assert.equal(payload.email_verified, true);
    });

    test('the relying party checks ID token signatures: a tampered one is refused', async () => {
      const c = await code();
      const rp = await relyingParty(p);
      rp.config[rp.o.customFetch] = async (url, options) => {
        const res = await fetch(url, options);
        if (!String(url).endsWith('/token') || res.status !== 200) return res;
        const b = await res.json();
        issued.push(b.access_token, b.id_token);
        const [h, pl, sig] = b.id_token.split('.');
        const claims = JSON.parse(Buffer.from(pl, 'base64url'));
        claims.name = 'Mallory';
        b.id_token = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
        return new Response(JSON.stringify(b), { status: 200, headers: { 'content-type': 'application/json' } });
      };
      await assert.rejects(redeem(rp, c.callbackUrl, c.request), (e) => {
        assert.match(String(e.cause?.message ?? e.message), /signature verification failed/i);
        return true;
      });
    });

    test('a tampered ID token does not verify', async () => {
      const jwks = (await request(p.url('/jwks'))).json();
      const [h, pl, s] = body.id_token.split('.');
      const claims = JSON.parse(Buffer.from(pl, 'base64url'));
      claims.sub = 'someone-else';
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      const key = jwks.keys.find((k) => k.kid === JSON.parse(Buffer.from(h, 'base64url')).kid);
      assert.ok(key, 'the token names a published key');
      assert.equal(verifyRs256(body.id_token, key), true);
      assert.equal(verifyRs256(forged, key), false);
    });
  });

  describe('userinfo', () => {
    let tokens;
    let claims;

    before(async () => {
      const ctx = await code();
      const rp = await relyingParty(p);
      ({ tokens, claims } = await redeem(rp, ctx.callbackUrl, ctx.request));
      issued.push(tokens.access_token, tokens.id_token);
    });

    test('GET with a Bearer header; sub equals the ID token sub', async () => {
      const r = await userinfo(tokens.access_token);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^application\/json/);
      const u = r.json();
      assert.equal(u.sub, claims.sub);
      assert.equal(u.email, USERS.alice.email);
      assert.equal(u.name, USERS.alice.name);
    });

    test('POST with a Bearer header', async () => {
      const r = await userinfo(tokens.access_token, { method: 'POST' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().sub, claims.sub);
    });

    test('POST with the token in the body (RFC 6750 §2.2)', async () => {
      const r = await userinfo(null, { method: 'POST', body: form({ access_token: tokens.access_token }) });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().sub, claims.sub);
    });

    test('openid-client fetchUserInfo checks the subject', async () => {
      const rp = await relyingParty(p);
      const u = await rp.o.fetchUserInfo(rp.config, tokens.access_token, claims.sub);
      assert.equal(u.sub, USERS.alice.uuid);
    });

    test('bad token -> 401 with WWW-Authenticate Bearer error="invalid_token"', async () => {
      for (const method of ['GET', 'POST']) {
        const r = await userinfo(`${tokens.access_token}x`, { method });
        assert.equal(r.status, 401);
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer\b.*error="invalid_token"/);
      }
    });

    test('no token -> 401 with a Bearer challenge', async () => {
      const r = await userinfo(null);
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer\b/);
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
  assert.ok(secrets.length > 20, `collected ${secrets.length} secrets`);
  const log = p.logText();
  assert.ok(log.length > 0, 'the provider logged something');
  assert.deepEqual(findSecrets(log, secrets).map((s) => `${s.slice(0, 6)}…`), []);
});

// authorize.test.mjs - the authorization endpoint, discovery, JWKS and CORS
// (RFC 6749 §4.1.2.1, OIDC Core §3.1.2, Discovery §3, and checks of the
// OpenID Foundation's Basic and Config OP conformance test plans).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  authorize, authRequest, CookieJar, loginForCode, loginStart, loginStatus, parseLoginId, parseRedirect, relyingParty,
  redeem, request, rsaThumbprint, startStack,
} from './lib/harness.mjs';

let stack;
let p;

before(async () => {
  stack = await startStack();
  p = stack.provider;
});

after(async () => {
  await stack?.stop();
});

// An HTML error page: 400, HTML, and never a redirect.
function assertErrorPage(res, status = 400) {
  assert.equal(res.status, status, `expected an error page, got ${res.status} ${res.location ?? ''}`);
  assert.equal(res.location, null, 'an error page must not redirect');
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(res.text, /<html/i);
}

// An error redirect to the client: 302 to the registered redirect_uri with
// error, the state, and iss (RFC 9207).
function assertErrorRedirect(res, req, error) {
  assert.equal(res.status, 302, `expected an error redirect, got ${res.status}: ${res.text.slice(0, 200)}`);
  const r = parseRedirect(res.location);
  assert.equal(r.base, req.params.redirect_uri);
  assert.equal(r.params.error, error, `error redirect: ${res.location}`);
  assert.equal(r.params.state, req.params.state);
  assert.equal(r.params.iss, p.base);
  assert.equal(r.params.code, undefined);
  return r;
}

describe('redirect URI and client checks give an error page, never a redirect', () => {
  test('unregistered redirect_uri', async () => {
    const req = authRequest(p, { redirectUri: 'http://127.0.0.1:9/evil' });
    const { res } = await authorize(p, req.params);
    assertErrorPage(res);
  });

  for (const suffix of ['x', '/', '?x=1', '/../cb', '%20', '#frag', '/cb']) {
    test(`registered redirect_uri with ${JSON.stringify(suffix)} appended`, async () => {
      const req = authRequest(p);
      req.params.redirect_uri += suffix;
      const { res } = await authorize(p, req.params);
      assertErrorPage(res);
    });
  }

  test('redirect_uri of another scheme or case', async () => {
    for (const uri of ['HTTP://127.0.0.1:9/cb', 'http://127.0.0.1:9/CB', 'https://127.0.0.1:9/cb']) {
      const { res } = await authorize(p, authRequest(p, { redirectUri: uri }).params);
      assertErrorPage(res);
    }
  });

  test('missing redirect_uri', async () => {
    const { res } = await authorize(p, authRequest(p, { overrides: { redirect_uri: null } }).params);
    assertErrorPage(res);
  });

  test('unknown client', async () => {
    const req = authRequest(p, { overrides: { client_id: 'nosuchclient' } });
    const { res } = await authorize(p, req.params);
    assertErrorPage(res);
  });

  test('missing client_id', async () => {
    const { res } = await authorize(p, authRequest(p, { overrides: { client_id: null } }).params);
    assertErrorPage(res);
  });

  test('redirect_uri registered for another client', async () => {
    // "other" has only /cb; /cb2 belongs to "app".
    const req = authRequest(p, { client: 'other', redirectUri: p.client('app').redirect_uris[1] });
    const { res } = await authorize(p, req.params);
    assertErrorPage(res);
  });

  test('duplicate redirect_uri', async () => {
    const req = authRequest(p);
    const params = { ...req.params, redirect_uri: [req.params.redirect_uri, req.params.redirect_uri] };
    const { res } = await authorize(p, params);
    assertErrorPage(res);
  });
});

describe('other request errors redirect with an RFC 6749 error code and the state', () => {
  test('missing response_type -> invalid_request', async () => {
    const req = authRequest(p, { overrides: { response_type: null } });
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'invalid_request');
  });

  for (const rt of ['token', 'id_token', 'code id_token', 'code token']) {
    test(`response_type=${rt} -> unsupported_response_type`, async () => {
      const req = authRequest(p, { overrides: { response_type: rt } });
      const { res } = await authorize(p, req.params);
      assertErrorRedirect(res, req, 'unsupported_response_type');
    });
  }

  test('scope without openid -> invalid_scope', async () => {
    const req = authRequest(p, { scope: 'profile email' });
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'invalid_scope');
  });

  test('missing scope -> invalid_scope', async () => {
    const req = authRequest(p, { overrides: { scope: null } });
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'invalid_scope');
  });

  test('prompt=none -> login_required', async () => {
    const req = authRequest(p, { overrides: { prompt: 'none' } });
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'login_required');
  });

  test('PKCE method plain -> invalid_request', async () => {
    const req = authRequest(p, { overrides: { code_challenge_method: 'plain' } });
    req.params.code_challenge = 'a'.repeat(43);
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'invalid_request');
  });

  test('code_challenge without a method (plain by default) -> invalid_request', async () => {
    const req = authRequest(p, { overrides: { code_challenge_method: null } });
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'invalid_request');
  });

  test('malformed S256 challenge -> invalid_request', async () => {
    const req = authRequest(p, { overrides: { code_challenge: 'short' } });
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'invalid_request');
  });

  for (const name of ['scope', 'response_type', 'nonce', 'code_challenge']) {
    test(`duplicate ${name} -> invalid_request`, async () => {
      const req = authRequest(p);
      const params = { ...req.params, [name]: [req.params[name], req.params[name]] };
      const { res } = await authorize(p, params);
      assertErrorRedirect(res, req, 'invalid_request');
    });
  }

  test('request object -> request_not_supported', async () => {
    const req = authRequest(p, { overrides: { request: 'eyJhbGciOiJub25lIn0.e30.' } });
    const { res } = await authorize(p, req.params);
    assertErrorRedirect(res, req, 'request_not_supported');
  });

  test('error redirect without state carries no state', async () => {
    const req = authRequest(p, { overrides: { response_type: null, state: null } });
    const { res } = await authorize(p, req.params);
    assert.equal(res.status, 302);
    const r = parseRedirect(res.location);
    assert.equal(r.params.error, 'invalid_request');
    assert.equal(r.all.has('state'), false);
  });
});

describe('valid requests', () => {
  test('GET /authorize answers the login page bound to this browser', async () => {
    const req = authRequest(p);
    const jar = new CookieJar();
    const { res, loginId } = await authorize(p, req.params, { jar });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.ok(loginId && loginId.length >= 20, `login id in the page: ${loginId}`);
    assert.match(res.text, /id="signin"/);
    assert.match(res.text, /Sign in with Plex/);
    assert.match(res.text, /Test App/, 'the client name is shown');
    const cookie = jar.raw.find((c) => c.startsWith('plexoidc_bid='));
    assert.ok(cookie, `Set-Cookie plexoidc_bid: ${jar.raw}`);
    assert.match(cookie, /;\s*HttpOnly/i);
    // A full-page return from plex.tv is a cross-site navigation: a
    // SameSite=Strict cookie would not come back with it.
    assert.doesNotMatch(cookie, /SameSite=Strict/i);
    assert.match(res.headers.get('cache-control') ?? '', /no-store/);
    assert.match(res.headers.get('x-frame-options') ?? '', /DENY/i);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  });

  test('the browser cookie is reused, not replaced, by a second /authorize', async () => {
    const jar = new CookieJar();
    await authorize(p, authRequest(p).params, { jar });
    const first = jar.get('plexoidc_bid');
    const n = jar.raw.length;
    const { res } = await authorize(p, authRequest(p).params, { jar });
    assert.equal(res.status, 200);
    assert.equal(jar.raw.length, n, 'no new Set-Cookie');
    assert.equal(jar.get('plexoidc_bid'), first);
  });

  test('a login belongs to the browser that started it', async () => {
    const jar = new CookieJar();
    const { loginId } = await authorize(p, authRequest(p).params, { jar });
    // Another browser (its own cookie) and no cookie at all.
    const otherJar = new CookieJar();
    await authorize(p, authRequest(p).params, { jar: otherJar });
    for (const j of [otherJar, new CookieJar()]) {
      const s = await loginStart(p, loginId, j);
      assert.notEqual(s.res.status, 302, 'no Plex link for another browser');
      assert.equal(s.link, null);
      const st = await loginStatus(p, loginId, j);
      assert.equal(st.res.status, 200);
      assert.notEqual(st.body.state, 'idle');
      assert.notEqual(st.body.state, 'waiting');
      assert.notEqual(st.body.state, 'done');
    }
    const fin = await request(p.url(`/login/finish?l=${loginId}`), { jar: otherJar });
    assert.equal(fin.location, null, 'no redirect with a code for another browser');
  });

  test('the Plex link: PIN code in the fragment, forwardUrl back to us without the PIN', async () => {
    for (const mode of [undefined, 'redirect']) {
      const jar = new CookieJar();
      const { loginId } = await authorize(p, authRequest(p).params, { jar });
      const { res, link } = await loginStart(p, loginId, jar, { mode });
      assert.equal(res.status, 302, res.text.slice(0, 200));
      assert.equal(link.origin, stack.fake.url);
      assert.equal(link.pathname, '/auth');
      assert.equal(link.query, '', 'parameters only in the fragment');
      assert.match(link.code, /^[a-z0-9]{25}$/, 'a strong PIN code');
      assert.ok(link.clientID && link.product, 'clientID and product');
      const pin = (await stack.fake.pins()).find((x) => x.code === link.code);
      assert.ok(pin, 'the PIN was created at plex.tv');
      assert.equal(pin.clientIdentifier, link.clientID);
      const fwd = new URL(link.forwardUrl);
      assert.equal(fwd.origin, p.base);
      assert.ok(!link.forwardUrl.includes(link.code) && !link.forwardUrl.includes(String(pin.id)),
        `no PIN in forwardUrl: ${link.forwardUrl}`);
      if (mode === 'redirect') {
        assert.equal(`${fwd.pathname}${fwd.search}`, `/login/return?l=${loginId}`);
        // Back from Plex, the page carries on waiting.
        const back = await request(link.forwardUrl, { jar });
        assert.equal(back.status, 200);
        assert.match(back.text, /data-state="waiting"/);
        assert.equal(parseLoginId(back.text), loginId);
      }
    }
  });

  test('POST /authorize works through to a code', async () => {
    const req = authRequest(p);
    const ctx = await loginForCode(p, { request: req, method: 'POST' });
    assert.equal(ctx.redirect.base, req.params.redirect_uri);
    assert.equal(ctx.redirect.params.state, req.params.state);
    assert.equal(ctx.redirect.params.iss, p.base);
    const rp = await relyingParty(p);
    const { claims } = await redeem(rp, ctx.callbackUrl, req);
    assert.equal(claims.sub, 'dae343c1f45beb4f');
  });

  test('unknown parameters and scopes are ignored', async () => {
    const req = authRequest(p, {
      scope: 'openid address phone',
      overrides: {
        display: 'page', ui_locales: 'fr-CA fr en', claims_locales: 'de', login_hint: 'alice',
        acr_values: 'urn:mace:incommon:iap:silver', extra: 'foobar', prompt: 'login', max_age: '1',
      },
    });
    const ctx = await loginForCode(p, { request: req });
    const rp = await relyingParty(p);
    const { o } = rp;
    const tokens = await o.authorizationCodeGrant(rp.config, new URL(ctx.callbackUrl), {
      pkceCodeVerifier: req.verifier, expectedState: req.params.state, expectedNonce: req.params.nonce, maxAge: 1,
    });
    const claims = tokens.claims();
    assert.equal(claims.sub, 'dae343c1f45beb4f');
    assert.equal(typeof claims.auth_time, 'number', 'auth_time when max_age was used');
    // Neither profile nor email was asked for.
    for (const c of ['name', 'preferred_username', 'picture', 'email', 'email_verified', 'address', 'phone_number']) {
      assert.equal(claims[c], undefined, `claim ${c}`);
    }
  });
});

describe('discovery and JWKS', () => {
  let doc;
  let jwks;

  before(async () => {
    const d = await request(p.url('/.well-known/openid-configuration'));
    assert.equal(d.status, 200);
    assert.match(d.headers.get('content-type'), /^application\/json/);
    doc = d.json();
    const j = await request(doc.jwks_uri);
    assert.equal(j.status, 200);
    assert.match(j.headers.get('content-type'), /json/);
    jwks = j.json();
  });

  test('issuer equals the base of the discovery URL; endpoints on the issuer', () => {
    assert.equal(doc.issuer, p.base);
    assert.equal(doc.authorization_endpoint, `${p.base}/authorize`);
    assert.equal(doc.token_endpoint, `${p.base}/token`);
    assert.equal(doc.userinfo_endpoint, `${p.base}/userinfo`);
    assert.equal(doc.jwks_uri, `${p.base}/jwks`);
  });

  test('advertises code flow, RS256, S256, both client auth methods', () => {
    assert.deepEqual(doc.response_types_supported, ['code']);
    assert.ok(doc.subject_types_supported.includes('public'));
    assert.ok(doc.id_token_signing_alg_values_supported.includes('RS256'));
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    assert.ok(doc.scopes_supported.includes('openid'));
    for (const m of ['client_secret_basic', 'client_secret_post']) {
      assert.ok(doc.token_endpoint_auth_methods_supported.includes(m), m);
    }
    assert.ok(Array.isArray(doc.claims_supported) && doc.claims_supported.includes('sub'));
    if (doc.grant_types_supported) assert.ok(doc.grant_types_supported.includes('authorization_code'));
  });

  test('advertises nothing it does not implement', async () => {
    for (const k of ['pushed_authorization_request_endpoint', 'require_pushed_authorization_requests',
      'registration_endpoint', 'device_authorization_endpoint', 'backchannel_authentication_endpoint']) {
      assert.equal(doc[k], undefined, k);
    }
    // Every advertised endpoint exists.
    for (const [k, v] of Object.entries(doc)) {
      if (!k.endsWith('_endpoint') && k !== 'jwks_uri') continue;
      assert.ok(v.startsWith(`${p.base}/`), `${k} on the issuer`);
      const r = await request(v, { method: k === 'token_endpoint' ? 'POST' : 'GET' });
      assert.notEqual(r.status, 404, `${k} ${v} answers 404`);
    }
    // Discovery 1.0 §3, RFC 8414 §2, RFC 9207 §3: no unknown fields.
    const known = new Set(['issuer', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
      'registration_endpoint', 'scopes_supported', 'response_types_supported', 'response_modes_supported',
      'grant_types_supported', 'acr_values_supported', 'subject_types_supported',
      'id_token_signing_alg_values_supported', 'id_token_encryption_alg_values_supported',
      'id_token_encryption_enc_values_supported', 'userinfo_signing_alg_values_supported',
      'userinfo_encryption_alg_values_supported', 'userinfo_encryption_enc_values_supported',
      'request_object_signing_alg_values_supported', 'request_object_encryption_alg_values_supported',
      'request_object_encryption_enc_values_supported', 'token_endpoint_auth_methods_supported',
      'token_endpoint_auth_signing_alg_values_supported', 'display_values_supported', 'claim_types_supported',
      'claims_supported', 'service_documentation', 'claims_locales_supported', 'ui_locales_supported',
      'claims_parameter_supported', 'request_parameter_supported', 'request_uri_parameter_supported',
      'require_request_uri_registration', 'op_policy_uri', 'op_tos_uri', 'code_challenge_methods_supported',
      'authorization_response_iss_parameter_supported', 'end_session_endpoint', 'revocation_endpoint',
      'introspection_endpoint', 'revocation_endpoint_auth_methods_supported',
      'introspection_endpoint_auth_methods_supported',
      // Initiating User Registration via OpenID Connect 1.0 §4.1.
      'prompt_values_supported']);
    const unknown = Object.keys(doc).filter((k) => !known.has(k));
    assert.deepEqual(unknown, []);
  });

  test('JWKS: the current and the next RS256 key (pre-published), kid = RFC 7638 thumbprint, no private parts', () => {
    // The key ring publishes the next signing key before it signs anything
    // (docs/OPERATIONS.md, "Keys and rotation").
    assert.equal(jwks.keys.length, 2);
    assert.notEqual(jwks.keys[0].kid, jwks.keys[1].kid);
    for (const k of jwks.keys) {
      assert.equal(k.kty, 'RSA');
      assert.equal(k.kid, rsaThumbprint(k));
      if (k.alg !== undefined) assert.equal(k.alg, 'RS256');
      if (k.use !== undefined) assert.equal(k.use, 'sig');
      assert.equal(k.e, 'AQAB');
      assert.ok(Buffer.from(k.n, 'base64url').length >= 256, 'RSA 2048 bits or more');
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) assert.equal(k[priv], undefined, priv);
    }
  });
});

describe('CORS for browser-based relying parties', () => {
  const origin = 'http://rp.example.test';

  for (const [path, method] of [['/.well-known/openid-configuration', 'GET'], ['/jwks', 'GET'],
    ['/token', 'POST'], ['/userinfo', 'GET'], ['/userinfo', 'POST']]) {
    test(`${method} ${path} carries Access-Control-Allow-Origin`, async () => {
      const opts = { method, headers: { origin } };
      if (method === 'POST') opts.body = new URLSearchParams({ grant_type: 'authorization_code', code: 'x' });
      const r = await request(p.url(path), opts);
      const acao = r.headers.get('access-control-allow-origin');
      assert.ok(acao === '*' || acao === origin, `ACAO on ${r.status}: ${acao}`);
    });
  }

  for (const [path, method] of [['/.well-known/openid-configuration', 'GET'], ['/jwks', 'GET'],
    ['/token', 'POST'], ['/userinfo', 'GET']]) {
    test(`OPTIONS preflight for ${method} ${path}`, async () => {
      const r = await request(p.url(path), {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': method,
          'access-control-request-headers': 'authorization, content-type' },
      });
      assert.ok(r.status === 204 || r.status === 200, `preflight status ${r.status}`);
      const acao = r.headers.get('access-control-allow-origin');
      assert.ok(acao === '*' || acao === origin, `ACAO: ${acao}`);
      const methods = (r.headers.get('access-control-allow-methods') ?? '').toUpperCase();
      assert.ok(methods.includes(method), `Allow-Methods ${methods} lacks ${method}`);
      const hdrs = (r.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      if (path === '/token' || path === '/userinfo') {
        assert.ok(hdrs.includes('authorization') || hdrs === '*', `Allow-Headers: ${hdrs}`);
      }
    });
  }
});

// oidf.mjs - the checks of the OpenID Foundation's conformance suite (Basic,
// Config and RP-Initiated Logout OP plans), implemented independently from
// the specifications and the suite's documented module behaviour, for
// conformance.test.mjs.
//
// Each function checks one kind of answer the way a module's conditions do
// and throws an AssertionError naming the rule (OIDC Core, RFC 6749,
// RFC 8414...) it broke. Checks the suite reports as a WARNING rather than a
// failure are kept apart (warnings()), so a test can assert exactly which
// warnings a module ends with.
//
// Everything here is pure: answers in, assertions out; no I/O but the
// signature check through node:crypto.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';

// The suite's clock skew for iat, exp and auth_time.
export const SKEW_S = 300;

// RFC 6749 §10.10 asks for 128 bits in codes and tokens; the suite measures
// Shannon entropy and accepts more than 96 bits, and a length of 128 bits.
const MIN_TOKEN_BITS = 128;
const MIN_ENTROPY_BITS = 96;

// RFC 6749 Appendix A: NQSCHAR for error and error_description, VSCHAR for
// tokens.
const ERROR_CHARS = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;
const ERROR_DESC_CHARS = /^[\x09\x0A\x0D\x20-\x21\x23-\x5B\x5D-\x7E]+$/;
const VSCHAR = /^[\x20-\x7E]+$/;

// OIDC Core §3.1.2.6: the errors that mean "this needs the user".
export const INTERACTION_ERRORS = ['interaction_required', 'login_required', 'account_selection_required',
  'consent_required'];

// What an authorization error response may carry (OIDC Core §3.1.2.6,
// RFC 9207 for iss).
const AUTHZ_ERROR_PARAMS = ['error', 'error_description', 'error_uri', 'state', 'session_state', 'iss'];

// OIDC Core §5.4: the claims each scope asks for.
export const SCOPE_CLAIMS = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'profile', 'picture', 'website', 'gender',
    'birthdate', 'zoneinfo', 'locale', 'updated_at', 'preferred_username'],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
  offline_access: [],
};

// Claims an ID token carries whatever was asked (OIDC Core §2, §3.3.2.11,
// RFC 7519 §4.1, Front-Channel Logout's sid).
const ID_TOKEN_PROTOCOL_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'acr', 'amr', 'azp',
  'at_hash', 'c_hash', 'nbf', 'jti', 'sid'];

// OIDC Core §5.1: the types of the standard claims.
const STANDARD_CLAIM_TYPES = {
  sub: 'string', name: 'string', given_name: 'string', family_name: 'string', middle_name: 'string',
  nickname: 'string', preferred_username: 'string', profile: 'url', picture: 'url', website: 'url',
  email: 'string', email_verified: 'boolean', gender: 'string', birthdate: 'string', zoneinfo: 'string',
  locale: 'string', phone_number: 'string', phone_number_verified: 'boolean', address: 'object',
  updated_at: 'number',
};

// The names registered for authorization server metadata (RFC 8414 §2 and
// the IANA "OAuth Authorization Server Metadata" registry: OpenID Connect
// Discovery, RP-Initiated/Front/Back-Channel Logout, RFC 9207, PAR, CIBA,
// DPoP, mTLS...). Anything else in a discovery document is an extension the
// suite warns about.
export const KNOWN_METADATA = new Set([
  'issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'registration_endpoint', 'scopes_supported',
  'response_types_supported', 'response_modes_supported', 'grant_types_supported',
  'token_endpoint_auth_methods_supported', 'token_endpoint_auth_signing_alg_values_supported',
  'service_documentation', 'ui_locales_supported', 'op_policy_uri', 'op_tos_uri', 'revocation_endpoint',
  'revocation_endpoint_auth_methods_supported', 'revocation_endpoint_auth_signing_alg_values_supported',
  'introspection_endpoint', 'introspection_endpoint_auth_methods_supported',
  'introspection_endpoint_auth_signing_alg_values_supported', 'code_challenge_methods_supported',
  'userinfo_endpoint', 'end_session_endpoint', 'check_session_iframe', 'subject_types_supported',
  'id_token_signing_alg_values_supported', 'id_token_encryption_alg_values_supported',
  'id_token_encryption_enc_values_supported', 'userinfo_signing_alg_values_supported',
  'userinfo_encryption_alg_values_supported', 'userinfo_encryption_enc_values_supported',
  'request_object_signing_alg_values_supported', 'request_object_encryption_alg_values_supported',
  'request_object_encryption_enc_values_supported', 'display_values_supported', 'claim_types_supported',
  'claims_supported', 'claims_locales_supported', 'claims_parameter_supported', 'request_parameter_supported',
  'request_uri_parameter_supported', 'require_request_uri_registration', 'acr_values_supported',
  'frontchannel_logout_supported', 'frontchannel_logout_session_supported', 'backchannel_logout_supported',
  'backchannel_logout_session_supported', 'dpop_signing_alg_values_supported',
  'pushed_authorization_request_endpoint', 'require_pushed_authorization_requests',
  'authorization_details_types_supported', 'backchannel_authentication_endpoint',
  'backchannel_token_delivery_modes_supported', 'backchannel_authentication_request_signing_alg_values_supported',
  'backchannel_user_code_parameter_supported', 'authorization_signing_alg_values_supported',
  'authorization_encryption_alg_values_supported', 'authorization_encryption_enc_values_supported',
  'mtls_endpoint_aliases', 'tls_client_certificate_bound_access_tokens', 'signed_metadata',
  'authorization_response_iss_parameter_supported', 'device_authorization_endpoint',
  'require_signed_request_object', 'prompt_values_supported', 'signed_jwks_uri', 'jwks',
]);

// Members a public JWK must not carry (RFC 7518 §6.2.2, §6.3.2, §6.4;
// RFC 8037 §2).
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

// ---------------------------------------------------------------- small measures

// Shannon entropy of s, in bits for the whole string (the suite's measure).
export function entropyBits(s) {
  const count = new Map();
  for (const ch of s) count.set(ch, (count.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of count.values()) {
    const p = n / s.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * s.length;
}

// A code, access token or refresh token: long and random enough (RFC 6749
// §10.10, RFC 6819 §5.1.4.2.2) and made of VSCHAR.
export function checkRandomToken(name, value) {
  assert.equal(typeof value, 'string', `${name}: a string`);
  assert.match(value, VSCHAR, `${name}: only %x20-7E (RFC 6749 Appendix A)`);
  assert.ok(Buffer.byteLength(value) * 8 >= MIN_TOKEN_BITS, `${name}: at least ${MIN_TOKEN_BITS} bits long`);
  assert.ok(entropyBits(value) > MIN_ENTROPY_BITS, `${name}: more than ${MIN_ENTROPY_BITS} bits of entropy`);
}

// A state or nonce as the suite makes them: alphanumeric, or for longer
// ones alphanumeric ending in every unreserved punctuation character.
export function suiteRandom(length = 10) {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const n = length > 10 ? length - 4 : length;
  let s = '';
  for (const b of crypto.randomBytes(n)) s += alnum[b % alnum.length];
  return length > 10 ? `${s}-._~` : s;
}

// ---------------------------------------------------------------- JOSE

export function decodeJws(jws) {
  const parts = jws.split('.');
  assert.equal(parts.length, 3, 'a compact JWS has three parts');
  const [h, p, s] = parts;
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
    signingInput: Buffer.from(`${h}.${p}`),
    signature: Buffer.from(s, 'base64url'),
  };
}

// Verifies a JWS with the key of its kid in jwks; returns that key.
export function verifyJws(jws, jwks) {
  const d = decodeJws(jws);
  assert.ok(d.header.kid, 'the JWS header has a kid (OIDC Core §10.1)');
  const jwk = jwks.keys.find((k) => k.kid === d.header.kid);
  assert.ok(jwk, `the kid ${d.header.kid} is in the published JWKS`);
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  let ok;
  switch (d.header.alg) {
    case 'RS256':
      ok = crypto.verify('sha256', d.signingInput, key, d.signature);
      break;
    case 'ES256':
      ok = crypto.verify('sha256', d.signingInput, { key, dsaEncoding: 'ieee-p1363' }, d.signature);
      break;
    case 'EdDSA':
      ok = crypto.verify(null, d.signingInput, key, d.signature);
      break;
    default:
      assert.fail(`unexpected alg ${d.header.alg}`);
  }
  assert.ok(ok, `the signature verifies with ${d.header.kid}`);
  return jwk;
}

// OIDC Core §3.1.3.6 / §3.3.2.11: the left half of the hash of the token.
export function leftHalfHash(alg, value) {
  const h = { RS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' }[alg];
  assert.ok(h, `a hash for ${alg}`);
  const d = crypto.createHash(h).update(value, 'ascii').digest();
  return d.subarray(0, d.length / 2).toString('base64url');
}

// ---------------------------------------------------------------- claims

function checkClaimTypes(what, claims) {
  for (const [k, v] of Object.entries(claims)) {
    const t = STANDARD_CLAIM_TYPES[k];
    if (!t) continue;
    if (t === 'url') {
      assert.equal(typeof v, 'string', `${what}: ${k} is a string (OIDC Core §5.1)`);
      assert.doesNotThrow(() => new URL(v), `${what}: ${k} is a URL`);
    } else {
      assert.equal(typeof v, t, `${what}: ${k} is a ${t} (OIDC Core §5.1)`);
    }
  }
}

// The suite's standard ID token checks (ValidateIdToken and friends): the
// signature against the JWKS, iss, aud, exp, iat, auth_time, acr, nonce,
// sub, the types of the standard claims, and at_hash when present.
// Returns the claims.
export function checkIdToken(idToken, { issuer, clientId, jwks, nonce, accessToken, alg = 'RS256',
  now = Date.now() / 1000 }) {
  const d = decodeJws(idToken);
  assert.equal(d.header.alg, alg, `the ID token is signed with ${alg} (OIDC Core §3.1.3.7)`);
  verifyJws(idToken, jwks);
  const c = d.claims;
  assert.equal(c.iss, issuer, 'iss is the issuer (OIDC Core §3.1.3.7 step 2)');
  if (Array.isArray(c.aud)) assert.ok(c.aud.includes(clientId), 'aud contains the client');
  else assert.equal(c.aud, clientId, 'aud is the client (§3.1.3.7 step 3)');
  assert.equal(typeof c.exp, 'number', 'exp');
  assert.ok(c.exp > now - SKEW_S, 'not expired');
  assert.ok(c.exp < now + 50 * 365 * 86400, 'exp in seconds, not milliseconds');
  assert.equal(typeof c.iat, 'number', 'iat');
  assert.ok(c.iat <= now + SKEW_S, 'iat not in the future');
  assert.ok(c.iat >= now - SKEW_S, 'iat recent');
  if (c.auth_time !== undefined) {
    assert.equal(typeof c.auth_time, 'number', 'auth_time is a number');
    assert.ok(c.auth_time >= now - 365 * 86400 && c.auth_time <= now + SKEW_S, 'auth_time plausible');
  }
  if (c.acr !== undefined) assert.ok(typeof c.acr === 'string' && c.acr !== '', 'acr, when present, a non-empty string');
  // ValidateIdTokenNonce: the request's nonce, or none when none was sent.
  assert.equal(c.nonce, nonce, 'nonce echoed (OIDC Core §3.1.3.7 step 11)');
  assert.equal(typeof c.sub, 'string', 'sub (OIDC Core §2)');
  assert.ok(c.sub.length > 0 && c.sub.length <= 255 && /^[\x20-\x7E]+$/.test(c.sub), 'sub: 1 to 255 ASCII characters');
  checkClaimTypes('id_token', c);
  if (c.at_hash !== undefined && accessToken !== undefined) {
    assert.equal(c.at_hash, leftHalfHash(d.header.alg, accessToken), 'at_hash matches the access token (§3.3.2.11)');
  }
  return c;
}

// EnsureIdTokenDoesNotContainNonRequestedClaims (a WARNING in the suite):
// the claims of the ID token that neither the protocol nor the scope asked
// for.
export function nonRequestedIdTokenClaims(claims, scope) {
  const asked = new Set(ID_TOKEN_PROTOCOL_CLAIMS);
  const scopes = scope.split(' ');
  if (scopes.includes('openid')) for (const s of scopes) for (const c of SCOPE_CLAIMS[s] ?? []) asked.add(c);
  return Object.keys(claims).filter((k) => !asked.has(k));
}

// VerifyScopesReturnedInUserInfoClaims (a WARNING in the suite): the
// claims of the requested scopes that are missing.
export function missingScopeClaims(claims, scope) {
  return scope.split(' ').flatMap((s) => SCOPE_CLAIMS[s] ?? []).filter((c) => !(c in claims));
}

// ---------------------------------------------------------------- authorization responses

// A successful authorization response (query mode): iss (RFC 9207) when
// present equals the issuer, state echoed, a random enough code, and
// nothing that belongs to an error.
export function checkAuthorizationSuccess(params, { state, issuer }) {
  assert.equal(params.error, undefined, `no error: ${params.error} ${params.error_description ?? ''}`);
  if (params.iss !== undefined) assert.equal(params.iss, issuer, 'iss is the issuer (RFC 9207 §2)');
  assert.equal(params.state, state, 'state echoed unchanged (RFC 6749 §4.1.2)');
  checkRandomToken('code', params.code);
  return params.code;
}

// An authorization error response (OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1):
// one of the expected errors, the state unchanged, no code, well-formed
// error_description and error_uri, and only the parameters an error may
// carry (extra ones are a WARNING in the suite: returned in .unexpected).
export function checkAuthorizationError(params, { state, issuer, errors }) {
  assert.ok(errors.includes(params.error), `error is one of ${errors.join(', ')}: got ${params.error}`);
  assert.equal(params.state, state, 'state echoed unchanged');
  if (params.iss !== undefined) assert.equal(params.iss, issuer, 'iss is the issuer (RFC 9207 §2)');
  assert.equal(params.code, undefined, 'no code with an error');
  if (params.error_description !== undefined) {
    assert.match(params.error_description, ERROR_DESC_CHARS, 'error_description: RFC 6749 §4.1.2.1 characters');
  }
  if (params.error_uri !== undefined) assert.doesNotThrow(() => new URL(params.error_uri), 'error_uri is a URI');
  return Object.keys(params).filter((k) => !AUTHZ_ERROR_PARAMS.includes(k));
}

// ---------------------------------------------------------------- token endpoint

function json(res) {
  assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/i, 'a JSON answer');
  return res.json();
}

// A successful token response (RFC 6749 §5.1, OIDC Core §3.1.3.3):
// returns the parsed body.
export function checkTokenResponse(res, { idToken = true } = {}) {
  assert.equal(res.status, 200, `token endpoint: ${res.status} ${res.text.slice(0, 200)}`);
  const body = json(res);
  const cc = (res.headers.get('cache-control') ?? '').split(',').map((s) => s.trim().toLowerCase());
  assert.ok(cc.includes('no-store'), 'Cache-Control: no-store (RFC 6749 §5.1)');
  assert.equal(body.token_type?.toLowerCase(), 'bearer', 'token_type Bearer');
  checkRandomToken('access_token', body.access_token);
  if (body.expires_in !== undefined) {
    assert.equal(typeof body.expires_in, 'number', 'expires_in is a number');
    assert.ok(body.expires_in > 0 && body.expires_in <= 365 * 86400, 'expires_in positive, in seconds');
  }
  if (idToken) assert.equal(typeof body.id_token, 'string', 'an id_token (OIDC Core §3.1.3.3)');
  if (body.refresh_token !== undefined) checkRandomToken('refresh_token', body.refresh_token);
  return body;
}

// An error from the token endpoint (RFC 6749 §5.2): status, JSON, the
// error code and well-formed fields.
export function checkTokenError(res, error, status = 400) {
  assert.equal(res.status, status, `token endpoint: ${res.status} ${res.text.slice(0, 200)}`);
  const body = json(res);
  assert.match(body.error ?? '', ERROR_CHARS, 'error: RFC 6749 §5.2 characters');
  assert.equal(body.error, error);
  if (body.error_description !== undefined) assert.match(body.error_description, ERROR_DESC_CHARS);
  if (body.error_uri !== undefined) assert.doesNotThrow(() => new URL(body.error_uri));
  return body;
}

// OIDC Core §12.2 (CompareIdTokenClaims): a refreshed ID token is about the
// same user and sign-in, issued later.
export function checkRefreshedIdToken(first, second) {
  for (const k of ['iss', 'sub']) assert.equal(second[k], first[k], `${k} unchanged after a refresh (OIDC Core §12.2)`);
  assert.deepEqual(second.aud, first.aud, 'aud unchanged');
  assert.notEqual(second.iat, first.iat, 'iat is the time of the new token');
  if (second.auth_time !== undefined) assert.equal(second.auth_time, first.auth_time, 'auth_time of the original sign-in');
  if (first.azp === undefined) assert.equal(second.azp, undefined, 'no azp where the first had none');
  else assert.equal(second.azp, first.azp);
}

// ---------------------------------------------------------------- userinfo

// A UserInfo answer (OIDC Core §5.3.2): 200, JSON, sub equal to the ID
// token's, standard claim types. Returns the claims.
export function checkUserInfo(res, sub) {
  assert.equal(res.status, 200, `userinfo: ${res.status} ${res.text.slice(0, 200)}`);
  const body = json(res);
  assert.equal(body.sub, sub, 'userinfo sub equals the ID token sub (OIDC Core §5.3.2)');
  checkClaimTypes('userinfo', body);
  if (body.updated_at !== undefined) assert.ok(body.updated_at > 0);
  return body;
}

// ---------------------------------------------------------------- discovery and keys

function isUrl(s) {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

// The JWKS checks (ValidateJwksSequence, CheckForKeyIdInServerJWKs,
// CheckDistinctKeyIdValueInServerJWKs): a keys array of parseable public
// keys, each with a distinct kid.
export function checkJwks(jwks) {
  assert.ok(Array.isArray(jwks.keys) && jwks.keys.length > 0, 'a non-empty keys array (RFC 7517 §5)');
  const kids = new Set();
  for (const k of jwks.keys) {
    assert.ok(typeof k.kid === 'string' && k.kid.trim() !== '', 'every key has a kid (OIDC Core §10.1)');
    assert.ok(!kids.has(k.kid), `kid ${k.kid} is distinct (RFC 7517 §4.5)`);
    kids.add(k.kid);
    for (const m of PRIVATE_JWK_MEMBERS) assert.equal(k[m], undefined, `no private member ${m} in ${k.kid}`);
    assert.ok(['RSA', 'EC', 'OKP'].includes(k.kty), `a known kty for ${k.kid}`);
    if (k.use !== undefined) assert.equal(k.use, 'sig', 'use: sig');
    assert.doesNotThrow(() => crypto.createPublicKey({ key: k, format: 'jwk' }), `${k.kid} is a usable public key`);
    if (k.kty === 'RSA') {
      assert.ok(Buffer.from(k.n, 'base64url').length * 8 >= 2048, 'RSA keys of at least 2048 bits');
    }
  }
}

// The signing keys of a JWKS as the suite compares them before and after a
// rotation: use sig or no use.
export function signingKeys(jwks) {
  return jwks.keys.filter((k) => k.use === undefined || k.use === 'sig');
}

// OIDCCDiscoveryEndpointVerification, over the fetched document: returns
// {doc, warnings}. discoveryUrl is where it was fetched; https: require
// every endpoint to be https (CheckDiscEndpointAllEndpointsAreHttps).
export function checkDiscovery(res, discoveryUrl, { https = true } = {}) {
  assert.equal(res.status, 200, 'discovery answers 200 (Discovery §4)');
  const doc = json(res);
  const warnings = [];
  // CheckDiscEndpointIssuer: the issuer is the discovery URL without the
  // well-known suffix (Discovery §4.3, §7.2).
  const base = discoveryUrl.replace(/\/\.well-known\/openid-configuration$/, '');
  assert.equal(doc.issuer.replace(/\/$/, ''), base.replace(/\/$/, ''), 'issuer matches where discovery was fetched');
  const iu = new URL(doc.issuer);
  assert.equal(iu.search, '', 'the issuer has no query (RFC 8414 §2)');
  assert.equal(iu.hash, '', 'the issuer has no fragment');
  // ValidateServerMetadataAgainstSchema: the registered members' types.
  const isBoolean = (k) => /_parameter_supported$|_logout_(session_)?supported$|^require_/.test(k);
  for (const [k, v] of Object.entries(doc)) {
    if (isBoolean(k)) assert.equal(typeof v, 'boolean', `${k} is a boolean`);
    else if (k.endsWith('_supported')) {
      assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `${k} is an array of strings`);
    }
    if (k.endsWith('_endpoint') || k === 'jwks_uri' || k === 'issuer') {
      assert.ok(isUrl(v), `${k} is an http(s) URL`);
      if (https) assert.equal(new URL(v).protocol, 'https:', `${k} uses https (CheckDiscEndpointAllEndpointsAreHttps)`);
    }
    if (!KNOWN_METADATA.has(k)) warnings.push(`unexpected metadata ${k}`);
  }
  // OIDCCCheckDiscEndpointResponseTypesSupported (static client): one of
  // OIDC's response types.
  assert.ok(doc.response_types_supported.some((t) => ['code', 'code id_token', 'id_token', 'token id_token',
    'code id_token token', 'code token'].includes(t)), 'an OpenID Connect response type (Discovery §3)');
  assert.ok(doc.subject_types_supported.some((t) => t === 'public' || t === 'pairwise'), 'subject_types_supported');
  assert.ok(doc.id_token_signing_alg_values_supported.includes('RS256'), 'RS256 is supported (Discovery §3)');
  for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri']) assert.ok(doc[k], `${k} (Discovery §3)`);
  if (doc.userinfo_endpoint === undefined) warnings.push('no userinfo_endpoint (recommended)');
  if (doc.claims_supported === undefined) warnings.push('no claims_supported (recommended)');
  if (doc.grant_types_supported !== undefined) assert.ok(doc.grant_types_supported.length > 0, 'grant_types_supported');
  if (doc.scopes_supported === undefined) warnings.push('no scopes_supported (recommended)');
  else {
    assert.ok(doc.scopes_supported.includes('openid'), 'scopes_supported contains openid');
    // RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
    for (const s of doc.scopes_supported) assert.match(s, /^[\x21\x23-\x5B\x5D-\x7E]+$/, `scope-token syntax: ${s}`);
  }
  if (doc.code_challenge_methods_supported !== undefined && doc.code_challenge_methods_supported.length) {
    assert.ok(doc.code_challenge_methods_supported.some((m) => m === 'S256' || m === 'plain'));
  }
  if (doc.request_object_signing_alg_values_supported !== undefined &&
    !doc.request_object_signing_alg_values_supported.includes('RS256')) {
    warnings.push('request_object_signing_alg_values_supported without RS256');
  }
  return { doc, warnings };
}

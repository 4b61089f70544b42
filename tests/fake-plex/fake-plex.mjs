#!/usr/bin/env node
// fake-plex.mjs - a local stand-in for plex.tv and its sign-in app, for tests.
//
// It answers the four calls plex-oidc makes (docs/PLEX-API.md, "The calls":
// the PIN, "Who is the user", "May the user use our server") with the
// real API's shapes, status codes and error envelopes, including the awkward
// parts: XML when Accept is not JSON, 422 with an XML body for a revoked token,
// 404/1020 for unknown or expired PINs or another client identifier, 429/1003
// when one PIN is polled too hard, nulls in resource entries. A control API
// under /__fake/ lets tests approve PINs, expire them, revoke tokens, inject
// faults (status codes, 429 with Retry-After, the token errors clients match,
// redirects, delays, hangs, resets, garbage, oversized answers) and read a log
// of what was asked (never token values). /auth is a minimal
// sign-in page with one button per preset user, for browser tests.
//
// Plain Node 20, no dependencies. See README.md in this directory.
//
//   node tests/fake-plex/fake-plex.mjs --port 0 [--server-id ID]
//
// Listens on 127.0.0.1 only and prints {"port":N} on one line when ready.

import http from 'node:http';
import crypto from 'node:crypto';

const DEFAULT_SERVER_ID = '0123456789abcdef0123456789abcdef01234567';
const CONTROL_BODY_MAX = 64 * 1024;
const LOG_MAX = 10000;
const POLL_WINDOW_MS = 1000; // docs/PLEX-API.md: about once a second; harder gets 429
const POLLS_PER_WINDOW = 4;
const HUGE_BYTES = 3 * 1024 * 1024; // over plex-oidc's 1 MiB body bound, and over 2 MiB

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const out = { port: 0, serverId: DEFAULT_SERVER_ID };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port') {
      const v = val();
      if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) usage(`bad port: ${v}`);
      out.port = Number(v);
    } else if (a === '--server-id') {
      const v = val();
      if (!/^[A-Za-z0-9-]{1,128}$/.test(v)) usage(`bad server id: ${v}`);
      out.serverId = v;
    } else if (a === '--help' || a === '-h') {
      usage(null);
    } else {
      usage(`unknown argument: ${a}`);
    }
  }
  return out;
}

function usage(msg) {
  if (msg) process.stderr.write(`fake-plex: ${msg}\n`);
  process.stderr.write('usage: node fake-plex.mjs [--port N] [--server-id ID]\n');
  process.exit(msg ? 2 : 0);
}

const args = parseArgs(process.argv.slice(2));
const SERVER_ID = args.serverId;
const started = Date.now();

// ---------------------------------------------------------------- helpers

const b64url = (s) => Buffer.from(s).toString('base64url');
const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const randomString = (n, alphabet) => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[crypto.randomInt(alphabet.length)];
  return s;
};
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const hexOf = (s, n) => crypto.createHash('sha256').update(s).digest('hex').slice(0, n);

// A JWT-shaped token of ~540 characters, as plex.tv now issues to some
// clients (docs/PLEX-API.md: "nothing assumes a length"). Not verifiable, only shaped.
function jwtToken(user, nonce) {
  const header = { kid: 'fake-plex-key-1', typ: 'JWT', alg: 'EdDSA' };
  const payload = {
    nonce,
    scope: 'username,email,friendly_name,restricted,anonymous,joined_at',
    user: { id: user.id, uuid: user.uuid },
    aud: ['plex.tv', 'myplex'],
    iss: 'plex.tv',
    iat: 1756746003,
    exp: 1788282003,
    thumbprint: hexOf(`thumb:${nonce}`, 64),
  };
  const sig = b64url(crypto.createHash('sha512').update(`sig:${nonce}`).digest());
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${sig}`;
}

// ---------------------------------------------------------------- preset users

function presetUser(p) {
  return {
    id: p.id,
    uuid: p.uuid,
    username: p.username,
    title: p.title,
    email: p.email,
    friendlyName: p.friendlyName,
    locale: null,
    confirmed: p.email != null,
    joinedAt: p.joinedAt,
    emailOnlyAuth: false,
    hasPassword: !p.restricted,
    protected: !!p.protected,
    thumb: `https://plex.tv/users/${p.uuid}/avatar?c=1731605021`,
    mailingListStatus: p.restricted ? null : 'unsubscribed',
    mailingListActive: false,
    scrobbleTypes: '',
    country: 'US',
    subscription: { active: false, subscribedAt: null, status: 'Inactive', paymentService: null, plan: null, features: [] },
    subscriptionDescription: null,
    restricted: !!p.restricted,
    anonymous: null,
    home: !!p.home,
    guest: false,
    homeSize: p.home ? 3 : 1,
    homeAdmin: !!p.homeAdmin,
    maxHomeSize: 15,
    rememberExpiresAt: 1788282003,
    profile: {
      autoSelectAudio: true,
      defaultAudioLanguage: null,
      defaultSubtitleLanguage: null,
      autoSelectSubtitle: 0,
      defaultSubtitleAccessibility: 0,
      defaultSubtitleForced: 1,
      watchedIndicator: 1,
      mediaReviewsVisibility: 0,
    },
    entitlements: [],
    roles: [],
    services: [],
    adsConsent: null,
    adsConsentSetAt: null,
    adsConsentReminderAt: null,
    experimentalFeatures: false,
    twoFactorEnabled: false,
    backupCodesCreated: false,
    attributionPartner: null,
  };
}

const USERS = {
  alice: {
    role: 'owner of the configured server (owned: true)',
    jwt: false,
    token: 'A1iceT0ken-Qx8Rz2Lm4',
    profile: presetUser({ id: 22526914, uuid: 'dae343c1f45beb4f', username: 'alice', title: 'alice',
      friendlyName: 'Alice Liddell', email: 'alice@example.com', joinedAt: 1556281940, home: true, homeAdmin: true }),
  },
  hank: {
    role: 'Plex Home member (owned: false, home: true)',
    jwt: false,
    token: 'HankT0ken_P9s7Wd3Fg5',
    profile: presetUser({ id: 31000001, uuid: '4f1a2b3c5d6e7f80', username: 'hank', title: 'hank',
      friendlyName: 'Hank Pym', email: 'hank@example.net', joinedAt: 1589203311, home: true }),
  },
  fred: {
    role: 'friend with an accepted share (owned: false, home: false); JWT-shaped token',
    jwt: true,
    token: null, // set below: a fixed ~540-character JWT-shaped token
    profile: presetUser({ id: 40551234, uuid: '8e0c6f1d2b3a4c59', username: 'fred.w', title: 'fred.w',
      friendlyName: 'Fred Weasley', email: 'fred@example.org', joinedAt: 1612345678 }),
  },
  mia: {
    role: 'managed Home user (restricted, home; email null, username "")',
    jwt: false,
    token: 'M1aManagedT0kenK8v2Y',
    profile: presetUser({ id: 52004411, uuid: 'b3c4d5e6f7a80912', username: '', title: 'Mia',
      friendlyName: '', email: null, joinedAt: 1623456789, home: true, restricted: true, protected: true }),
  },
  nora: {
    role: 'signed in, no access (only her player and another server)',
    jwt: false,
    token: 'N0raT0ken-B6c4Xe1Hj7',
    profile: presetUser({ id: 60718293, uuid: 'c0ffee0ddba11f00', username: 'nora', title: 'nora',
      friendlyName: 'Nora Barnacle', email: 'nora@example.com', joinedAt: 1634567890 }),
  },
  pete: {
    role: 'only a pending invitation to the configured server (not in his resources)',
    jwt: false,
    token: 'PeteT0ken_V3n5Ty8Ui0',
    pendingInvitation: SERVER_ID,
    profile: presetUser({ id: 71122334, uuid: '5e7e1ab2c3d4e5f6', username: 'pete', title: 'pete',
      friendlyName: 'Pete Townshend', email: 'pete@example.com', joinedAt: 1645678901 }),
  },
  olive: {
    role: 'Plex Home member whose share of the server comes WITHOUT ownerId (no capture confirms the field for Home entries)',
    jwt: false,
    token: 'O1iveT0ken-Hm2Tz6Wq9',
    profile: presetUser({ id: 35000002, uuid: '01d0ff1ce0112233', username: 'olive', title: 'olive',
      friendlyName: 'Olive Oyl', email: 'olive@example.com', joinedAt: 1590000000, home: true }),
  },
  mallory: {
    role: 'no access, but has a device in her own account that claims the server\'s identifier (owned, provides server)',
    jwt: false,
    token: 'Ma11oryT0ken-Q9w8E7r',
    profile: presetUser({ id: 66600666, uuid: '0bad0bad0bad0bad', username: 'mallory', title: 'mallory',
      friendlyName: 'Mallory', email: 'mallory@example.net', joinedAt: 1656789012 }),
  },
};
USERS.fred.token = jwtToken(USERS.fred.profile, 'fred-preset');
const USER_NAMES = Object.keys(USERS);

// ---------------------------------------------------------------- resources

const OTHER = {
  hankNas: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432',
  bob: '1111aaaa2222bbbb3333cccc4444dddd5555eeee',
  zed: 'fedcba9876543210fedcba9876543210fedcba98',
  quinn: '77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd',
};

function serverConnections(id, lan, wan) {
  const h = hexOf(`plex.direct:${id}`, 32);
  return [
    { protocol: 'https', address: lan, port: 32400, uri: `https://${lan.replaceAll('.', '-')}.${h}.plex.direct:32400`,
      local: true, relay: false, IPv6: false },
    { protocol: 'https', address: wan, port: 32400, uri: `https://${wan.replaceAll('.', '-')}.${h}.plex.direct:32400`,
      local: false, relay: false, IPv6: false },
    { protocol: 'https', address: '139.162.0.10', port: 8443, uri: `https://139-162-0-10.${h}.plex.direct:8443`,
      local: false, relay: true, IPv6: false },
  ];
}

function server({ name, id, owned, home, owner, lan = '192.168.1.20', wan = '203.0.113.10', noOwnerId = false }) {
  const entry = {
    name,
    product: 'Plex Media Server',
    productVersion: '1.41.3.9314-a0bfb8370',
    platform: 'Linux',
    platformVersion: '6.1.0-25-amd64',
    device: 'PC',
    clientIdentifier: id,
    createdAt: '2023-02-11T09:12:44Z',
    lastSeenAt: '2026-08-31T22:01:17Z',
    provides: 'server',
    ownerId: owned ? null : owner.profile.id,
    sourceTitle: owned ? null : owner.profile.username,
    publicAddress: wan,
    accessToken: hexOf(`server-token:${id}:${name}:${owned}`, 20),
    owned,
    home,
    synced: false,
    relay: true,
    presence: true,
    httpsRequired: false,
    publicAddressMatches: false,
    dnsRebindingProtection: false,
    natLoopbackSupported: false,
    connections: serverConnections(id, lan, wan),
  };
  // docs/PLEX-API.md: ownerId is documented for shared entries, but no
  // capture confirms it for Home members; the fake can leave it out.
  if (noOwnerId) delete entry.ownerId;
  return entry;
}

function client({ name, product, platform, device, provides, key }) {
  return {
    name,
    product,
    productVersion: '8.40.1',
    platform,
    platformVersion: null,
    device,
    clientIdentifier: hexOf(`client:${key}`, 24),
    createdAt: '2025-01-05T12:00:00Z',
    lastSeenAt: '2026-08-30T19:45:00Z',
    provides,
    ownerId: null,
    sourceTitle: null,
    publicAddress: '198.51.100.7',
    accessToken: null, // docs/PLEX-API.md: null here has broken strict parsers
    owned: true,
    home: false,
    synced: false,
    relay: false,
    presence: false,
    httpsRequired: false,
    publicAddressMatches: true,
    dnsRebindingProtection: false,
    natLoopbackSupported: false,
    connections: [],
  };
}

// Stand-ins for the owners of servers that are not the configured one.
const stranger = (id, username) => ({ profile: { id, username } });

function resourcesFor(name) {
  const alice = USERS.alice;
  switch (name) {
    case 'alice':
      return [
        server({ name: "Alice's Server", id: SERVER_ID, owned: true, home: false, owner: alice }),
        client({ name: "Alice's iPhone", product: 'Plex for iOS', platform: 'iOS', device: 'iPhone',
          provides: 'client,player,pubsub-player,provider-playback', key: 'alice-iphone' }),
        client({ name: 'Chrome', product: 'Plex Web', platform: 'Chrome', device: 'Linux',
          provides: 'client,player,pubsub-player', key: 'alice-web' }),
      ];
    case 'hank':
      return [
        server({ name: "Alice's Server", id: SERVER_ID, owned: false, home: true, owner: alice }),
        server({ name: 'hank-nas', id: OTHER.hankNas, owned: true, home: false, owner: USERS.hank,
          lan: '192.168.1.40' }),
        client({ name: 'Pixel 8', product: 'Plex for Android (Mobile)', platform: 'Android', device: 'Pixel 8',
          provides: 'client,player,pubsub-player,controller', key: 'hank-pixel' }),
      ];
    case 'fred':
      return [
        client({ name: 'SHIELD Android TV', product: 'Plex for Android (TV)', platform: 'Android',
          device: 'SHIELD Android TV', provides: 'client,player', key: 'fred-shield' }),
        server({ name: "Bob's Server", id: OTHER.bob, owned: false, home: false,
          owner: stranger(9001, 'bob'), lan: '10.0.0.5', wan: '198.51.100.23' }),
        server({ name: "Alice's Server", id: SERVER_ID, owned: false, home: false, owner: alice }),
      ];
    case 'mia':
      return [
        server({ name: "Alice's Server", id: SERVER_ID, owned: false, home: true, owner: alice }),
        client({ name: 'Living Room TV', product: 'Plex for Apple TV', platform: 'tvOS', device: 'Apple TV',
          provides: 'client,player,pubsub-player', key: 'mia-appletv' }),
      ];
    case 'nora':
      return [
        client({ name: "Nora's Roku", product: 'Plex for Roku', platform: 'Roku', device: 'Roku Ultra',
          provides: 'client,player', key: 'nora-roku' }),
        server({ name: "Zed's Server", id: OTHER.zed, owned: false, home: false,
          owner: stranger(9002, 'zed'), lan: '10.1.1.9', wan: '198.51.100.99' }),
      ];
    case 'pete':
      return [
        server({ name: "Quinn's Server", id: OTHER.quinn, owned: false, home: false,
          owner: stranger(9003, 'quinn'), lan: '172.16.0.3', wan: '192.0.2.77' }),
        client({ name: "Pete's Xbox", product: 'Plex for Xbox', platform: 'Xbox', device: 'Xbox Series X',
          provides: 'client,player,pubsub-player', key: 'pete-xbox' }),
      ];
    case 'olive':
      return [
        server({ name: "Alice's Server", id: SERVER_ID, owned: false, home: true, owner: alice, noOwnerId: true }),
      ];
    case 'mallory':
      // A look-alike: device identifiers are chosen by devices, so nothing
      // stops a device in Mallory's account from using the server's.
      return [
        server({ name: "Alice's Server", id: SERVER_ID, owned: true, home: false, lan: '10.6.6.6', wan: '203.0.113.66' }),
      ];
    default:
      return [];
  }
}

// ---------------------------------------------------------------- state

const state = {
  pins: new Map(),    // id -> pin record
  tokens: new Map(),  // token -> user name (presets and tokens minted on approval)
  revoked: new Set(), // user names whose tokens answer 422
  unshared: new Set(), // user names the configured server is no longer shared with
  faults: [],         // {endpoint, mode, times}
  log: [],
  nextPinId: 2147483648 + crypto.randomInt(1, 1_000_000), // docs/PLEX-API.md: ids are past 2^31
};

function resetState() {
  state.pins.clear();
  state.tokens.clear();
  for (const [name, u] of Object.entries(USERS)) state.tokens.set(u.token, name);
  state.revoked.clear();
  state.unshared.clear();
  state.faults = [];
  state.log = [];
}
resetState();

function mintToken(name) {
  const u = USERS[name];
  const t = u.jwt ? jwtToken(u.profile, crypto.randomBytes(12).toString('hex')) : randomString(20, TOKEN_ALPHABET);
  state.tokens.set(t, name);
  return t;
}

function pinExpired(pin, now = Date.now()) {
  return pin.expired || now >= pin.expiresAtMs;
}

function pinJson(pin, now = Date.now()) {
  return {
    id: pin.id,
    code: pin.code,
    product: pin.product,
    trusted: false,
    qr: `https://plex.tv/api/v2/pins/qr/${pin.code}`,
    clientIdentifier: pin.clientIdentifier,
    location: {
      code: 'US', european_union_member: false, continent_code: 'NA', country: 'United States',
      city: 'Springfield', time_zone: 'America/Chicago', postal_code: '62701', in_privacy_restricted_country: false,
      subdivisions: 'Illinois', coordinates: '39.7990, -89.6440',
    },
    expiresIn: Math.max(0, Math.round((pin.expiresAtMs - now) / 1000)),
    createdAt: isoSeconds(pin.createdAtMs),
    expiresAt: isoSeconds(pin.expiresAtMs),
    authToken: pin.authToken,
    newRegistration: null,
  };
}

function findPin(body) {
  if (body.pin_id !== undefined && body.pin_id !== null) {
    const id = Number(body.pin_id);
    return state.pins.get(id) || null;
  }
  if (typeof body.code === 'string') {
    for (const p of state.pins.values()) if (p.code === body.code) return p;
  }
  return null;
}

// ---------------------------------------------------------------- rendering

const xmlEscape = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));

// Plex's XML: scalars as attributes, objects and arrays as child elements.
function toXml(name, v) {
  if (Array.isArray(v)) {
    const child = name.endsWith('s') ? name.slice(0, -1) : 'item';
    return `<${name} size="${v.length}">${v.map((x) => toXml(child, x)).join('')}</${name}>`;
  }
  if (v === null || typeof v !== 'object') return `<${name}>${xmlEscape(v ?? '')}</${name}>`;
  let attrs = '';
  let kids = '';
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && typeof x === 'object') kids += toXml(k, x);
    else attrs += ` ${k}="${x === null ? '' : xmlEscape(typeof x === 'boolean' ? (x ? '1' : '0') : x)}"`;
  }
  return kids ? `<${name}${attrs}>${kids}</${name}>` : `<${name}${attrs}/>`;
}

const xmlDoc = (name, v) => `<?xml version="1.0" encoding="UTF-8"?>\n${toXml(name, v)}\n`;

const ERROR_TEXT = {
  1000: 'X-Plex-Client-Identifier is missing',
  1001: 'User could not be authenticated',
  1002: 'Not found',
  1003: 'Rate limit exceeded',
  1020: 'Code not found or expired',
};

function errorAnswer(status, code) {
  return { status, error: { code, message: ERROR_TEXT[code] || 'Fake fault', status } };
}

const wantsJson = (req) => /application\/json/i.test(req.headers.accept || '');

// Sends an answer {status, json?, error?, root?, raw?} the way plex.tv would.
function send(req, res, ans, forceXml = false) {
  const headers = { 'Cache-Control': 'no-cache', 'X-Fake-Plex': '1' };
  let body;
  if (ans.raw !== undefined) {
    headers['Content-Type'] = ans.contentType;
    body = ans.raw;
  } else if (ans.error) {
    if (wantsJson(req) && !forceXml) {
      headers['Content-Type'] = 'application/json; charset=utf-8';
      body = JSON.stringify({ errors: [ans.error] });
    } else {
      headers['Content-Type'] = 'application/xml; charset=utf-8';
      body = xmlDoc('errors', [ans.error]);
    }
  } else if (wantsJson(req) && !forceXml) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(ans.json);
  } else {
    headers['Content-Type'] = 'application/xml; charset=utf-8';
    body = xmlDoc(ans.root, ans.json);
  }
  headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(ans.status, headers);
  res.end(body);
}

// ---------------------------------------------------------------- the API

function tokenOf(req, url) {
  return req.headers['x-plex-token'] || url.searchParams.get('X-Plex-Token') || null;
}

// The user behind a token: {name} / {denied: 401} / {denied: 422}.
function authenticate(req, url) {
  const t = tokenOf(req, url);
  const name = t ? state.tokens.get(t) : undefined;
  if (!name) return { denied: errorAnswer(401, 1001) };
  if (state.revoked.has(name)) {
    // docs/PLEX-API.md: "A revoked token sometimes gets 422 with an XML body".
    return {
      denied: {
        status: 422, contentType: 'application/xml; charset=utf-8',
        raw: xmlDoc('errors', [{ code: 1001, message: ERROR_TEXT[1001], status: 422 }]),
      },
    };
  }
  return { name };
}

const handlers = {
  'pins.create'(req, url) {
    const cid = req.headers['x-plex-client-identifier'];
    if (!cid) return errorAnswer(400, 1000);
    const strong = url.searchParams.get('strong') === 'true';
    const now = Date.now();
    const pin = {
      id: state.nextPinId++,
      code: strong ? randomString(25, LOWER_ALNUM) : randomString(4, 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'),
      product: req.headers['x-plex-product'] || null,
      clientIdentifier: cid,
      createdAtMs: now,
      expiresAtMs: now + (strong ? 1800 : 900) * 1000,
      authToken: null,
      user: null,
      expired: false,
      polls: [],
      pollCount: 0,
    };
    state.pins.set(pin.id, pin);
    return { status: 201, root: 'pin', json: pinJson(pin, now) };
  },

  'pins.get'(req, url, m) {
    const cid = req.headers['x-plex-client-identifier'];
    if (!cid) return errorAnswer(400, 1000);
    const pin = state.pins.get(Number(m[1]));
    const now = Date.now();
    const code = url.searchParams.get('code');
    if (!pin || pinExpired(pin, now) || pin.clientIdentifier !== cid || (code !== null && code !== pin.code)) {
      return errorAnswer(404, 1020);
    }
    pin.polls = pin.polls.filter((t) => now - t < POLL_WINDOW_MS);
    const limited = pin.polls.length >= POLLS_PER_WINDOW;
    pin.polls.push(now);
    pin.pollCount++;
    if (limited) return errorAnswer(429, 1003);
    return { status: 200, root: 'pin', json: pinJson(pin, now) };
  },

  user(req, url) {
    const a = authenticate(req, url);
    if (a.denied) return a.denied;
    const u = USERS[a.name];
    // The real answer carries the token too; clients must not log bodies.
    return { status: 200, root: 'user', json: { ...u.profile, authToken: tokenOf(req, url) } };
  },

  resources(req, url) {
    const a = authenticate(req, url);
    if (a.denied) return a.denied;
    // The owner un-shared the server (or removed them from the Home): the
    // entry for the configured server is gone from their resources.
    const list = resourcesFor(a.name);
    return { status: 200, root: 'resources',
      json: state.unshared.has(a.name) ? list.filter((e) => e.clientIdentifier !== SERVER_ID) : list };
  },
};

function endpointOf(method, path) {
  if (method === 'POST' && path === '/api/v2/pins') return { ep: 'pins.create', m: null };
  const m = /^\/api\/v2\/pins\/(\d{1,20})$/.exec(path);
  if (method === 'GET' && m) return { ep: 'pins.get', m };
  if (method === 'GET' && path === '/api/v2/user') return { ep: 'user', m: null };
  if (method === 'GET' && path === '/api/v2/resources') return { ep: 'resources', m: null };
  return null;
}

// ---------------------------------------------------------------- faults

const FAULT_ENDPOINTS = ['pins.create', 'pins.get', 'user', 'resources', 'any'];
const FAULT_MODE = /^(status:[1-5]\d\d|delay:\d{1,6}|hang|reset|garbage|xml|truncated|huge|invalid-token|unprocessable|unauthorized-html|redirect:30[12378])$/;

// Returns the fault to apply to this call of ep ({mode, retry_after, location}), or null.
function takeFault(ep) {
  const i = state.faults.findIndex((f) => f.endpoint === ep || f.endpoint === 'any');
  if (i < 0) return null;
  const f = state.faults[i];
  f.times -= 1;
  if (f.times <= 0) state.faults.splice(i, 1);
  return f;
}

// Bodies of the token errors plex.tv sends (docs/PLEX-API.md):
// python-plexapi treats a 422 as an invalid token when its body says
// "Invalid token". The exact 422 body is not confirmed by a capture; this
// is the text clients match.
const INVALID_TOKEN_BODY = 'Invalid token';

function faultStatus(req, res, status, fault = {}) {
  if (status === 429 && fault.retry_after !== undefined) {
    // Rate limited, with the wait plex.tv asks for (RFC 9110 §10.2.3).
    res.setHeader('Retry-After', String(fault.retry_after));
  }
  if (status >= 500) {
    // What an outage looks like from a proxy in front of plex.tv.
    const text = status === 503 ? 'Service Temporarily Unavailable' : status === 502 ? 'Bad Gateway' : 'Internal Server Error';
    return send(req, res, { status, contentType: 'text/html', raw: `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n` });
  }
  if (status === 422) {
    return send(req, res, { status, contentType: 'application/xml; charset=utf-8',
      raw: xmlDoc('errors', [{ code: 1001, message: ERROR_TEXT[1001], status: 422 }]) });
  }
  const code = { 400: 1000, 401: 1001, 404: 1002, 429: 1003 }[status] || 1999;
  return send(req, res, errorAnswer(status, code));
}

function sendTruncated(req, res, ans) {
  const body = Buffer.from(JSON.stringify(ans.json ?? { errors: [ans.error] }));
  res.writeHead(ans.status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
  // Half the promised bytes, then the connection drops.
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}

function sendHuge(res) {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }); // chunked, no length
  const entry = JSON.stringify({ name: 'x'.repeat(200), provides: 'client,player', clientIdentifier: 'huge',
    owned: true, accessToken: null }) + ',';
  const block = entry.repeat(Math.ceil(65536 / entry.length));
  let sent = 0;
  res.write('[');
  const pump = () => {
    while (sent < HUGE_BYTES) {
      if (res.destroyed) return;
      sent += block.length;
      if (!res.write(block)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end('{}]');
  };
  pump();
}

// ---------------------------------------------------------------- log

function logRequest(req, url, ep) {
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = k.toLowerCase() === 'x-plex-token' ? '(redacted)' : v;
  const h = req.headers;
  const entry = {
    method: req.method,
    host: req.headers.host ?? null,
    path: url.pathname,
    query,
    endpoint: ep,
    headers: {
      accept: h.accept ?? null,
      'x-plex-client-identifier': h['x-plex-client-identifier'] ?? null,
      'x-plex-product': h['x-plex-product'] ?? null,
      'x-plex-version': h['x-plex-version'] ?? null,
      'x-plex-platform': h['x-plex-platform'] ?? null,
      'x-plex-device': h['x-plex-device'] ?? null,
      'x-plex-token': typeof h['x-plex-token'] === 'string' && h['x-plex-token'].length > 0,
    },
    token_in_query: url.searchParams.has('X-Plex-Token'),
    t_ms: Date.now() - started,
    status: null,
    fault: null,
  };
  state.log.push(entry);
  if (state.log.length > LOG_MAX) state.log.shift();
  return entry;
}

// ---------------------------------------------------------------- control API

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > CONTROL_BODY_MAX) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res, status, v) {
  const body = JSON.stringify(v);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store' });
  res.end(body);
}

function pinView(p) {
  return {
    id: p.id, code: p.code, clientIdentifier: p.clientIdentifier, product: p.product,
    approved: p.authToken !== null, user: p.user, authToken: p.authToken,
    expired: pinExpired(p), createdAt: isoSeconds(p.createdAtMs), expiresAt: isoSeconds(p.expiresAtMs),
    polls: p.pollCount,
  };
}

async function control(req, res, url) {
  const route = `${req.method} ${url.pathname}`;
  if (req.method === 'GET') {
    if (route === 'GET /__fake/log') return json(res, 200, state.log);
    if (route === 'GET /__fake/pins') return json(res, 200, [...state.pins.values()].map(pinView));
    if (route === 'GET /__fake/users') {
      return json(res, 200, USER_NAMES.map((name) => ({
        name, token: USERS[name].token, role: USERS[name].role, revoked: state.revoked.has(name),
        pendingInvitation: USERS[name].pendingInvitation ?? null, user: USERS[name].profile,
      })));
    }
    return json(res, 404, { error: 'no such control endpoint' });
  }
  if (req.method !== 'POST') return json(res, 405, { error: 'use GET or POST' });

  let body;
  try {
    const text = await readBody(req);
    body = text.trim() === '' ? {} : JSON.parse(text);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('body must be a JSON object');
  } catch (e) {
    return json(res, 400, { error: `bad body: ${e.message}` });
  }

  switch (url.pathname) {
    case '/__fake/approve': {
      if (!Object.hasOwn(USERS, body.user)) return json(res, 400, { error: `unknown user: ${body.user}` });
      const pin = findPin(body);
      if (!pin || pinExpired(pin)) return json(res, 404, { error: 'Code not found or expired', code: 1020 });
      // The sign-in page passes the clientID of its link: a PIN approved
      // through another client's link is refused, as plex.tv does.
      if (typeof body.clientID === 'string' && body.clientID !== '' && body.clientID !== pin.clientIdentifier) {
        return json(res, 404, { error: 'Code not found or expired', code: 1020 });
      }
      pin.user = body.user;
      pin.authToken = mintToken(body.user);
      return json(res, 200, { ok: true, pin: pinView(pin) });
    }
    case '/__fake/expire': {
      const pin = findPin(body);
      if (!pin) return json(res, 404, { error: 'no such PIN' });
      pin.expired = true;
      return json(res, 200, { ok: true, pin: pinView(pin) });
    }
    case '/__fake/fault': {
      if (!FAULT_ENDPOINTS.includes(body.endpoint)) {
        return json(res, 400, { error: `endpoint must be one of ${FAULT_ENDPOINTS.join(', ')}` });
      }
      if (typeof body.mode !== 'string' || !FAULT_MODE.test(body.mode)) return json(res, 400, { error: `bad mode: ${body.mode}` });
      let times = Infinity;
      if (body.times !== undefined && body.times !== null) {
        if (!Number.isInteger(body.times) || body.times < 1) return json(res, 400, { error: 'times must be a positive integer' });
        times = body.times;
      }
      const extra = {};
      if (body.retry_after !== undefined) {
        if (typeof body.retry_after !== 'string' && !Number.isInteger(body.retry_after)) {
          return json(res, 400, { error: 'retry_after must be an integer or a string' });
        }
        extra.retry_after = body.retry_after;
      }
      if (body.location !== undefined) {
        if (typeof body.location !== 'string' || /[\r\n]/.test(body.location)) return json(res, 400, { error: 'bad location' });
        extra.location = body.location;
      }
      state.faults.push({ endpoint: body.endpoint, mode: body.mode, times, ...extra });
      return json(res, 200, { ok: true, faults: state.faults.map((f) => ({ ...f, times: Number.isFinite(f.times) ? f.times : null })) });
    }
    case '/__fake/revoke': {
      if (!Object.hasOwn(USERS, body.user)) return json(res, 400, { error: `unknown user: ${body.user}` });
      state.revoked.add(body.user);
      return json(res, 200, { ok: true });
    }
    case '/__fake/unshare':
    case '/__fake/share': {
      if (!Object.hasOwn(USERS, body.user)) return json(res, 400, { error: `unknown user: ${body.user}` });
      if (url.pathname === '/__fake/unshare') state.unshared.add(body.user);
      else state.unshared.delete(body.user);
      return json(res, 200, { ok: true });
    }
    case '/__fake/reset':
      resetState();
      return json(res, 200, { ok: true });
    default:
      return json(res, 404, { error: 'no such control endpoint' });
  }
}

// ---------------------------------------------------------------- sign-in page

function authPage(res) {
  const names = JSON.stringify(USER_NAMES);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Plex (fake) - Sign in</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; background: #1f1f1f; color: #eee; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  main { background: #2b2b2b; padding: 2rem; border-radius: 8px; max-width: 28rem; width: 100%; }
  h1 { font-size: 1.3rem; margin-top: 0; }
  code { font-size: 1.1rem; color: #e5a00d; word-break: break-all; }
  button { display: block; width: 100%; margin: .5rem 0; padding: .6rem; font-size: 1rem; border: 0; border-radius: 4px; background: #e5a00d; color: #000; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  #status { min-height: 1.4em; color: #f88; }
</style>
</head>
<body>
<main>
  <h1>Sign in with Plex <small>(fake)</small></h1>
  <p>App: <strong id="product"></strong></p>
  <p>Code: <code id="code"></code></p>
  <div id="buttons"></div>
  <p id="status" role="status"></p>
  <p id="done" hidden>You can close this window.</p>
</main>
<script>
(() => {
  const users = ${names};
  // Parameters are in the fragment, as on app.plex.tv/auth#?clientID=..&code=..
  const params = new URLSearchParams(location.hash.replace(/^#\\??/, ''));
  const code = params.get('code') || '';
  const clientID = params.get('clientID') || '';
  const product = params.get('context[device][product]') || '';
  const forwardUrl = params.get('forwardUrl') || '';
  const $ = (id) => document.getElementById(id);
  $('product').textContent = product || '(none)';
  $('code').textContent = code || '(none)';
  const buttons = [];
  const setBusy = (busy) => buttons.forEach((b) => { b.disabled = busy; });
  for (const u of users) {
    const b = document.createElement('button');
    b.type = 'button';
    b.id = 'as-' + u;
    b.textContent = 'Sign in as ' + u;
    b.addEventListener('click', () => approve(u));
    $('buttons').appendChild(b);
    buttons.push(b);
  }
  if (!code) $('status').textContent = 'This link has no PIN code.';
  // A new link in the same tab only changes the fragment: start over.
  window.addEventListener('hashchange', () => location.reload());
  async function approve(user) {
    setBusy(true);
    $('status').textContent = '';
    let r;
    try {
      r = await fetch('/__fake/approve', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code, user, clientID }),
      });
    } catch (e) {
      $('status').textContent = 'Sign-in failed: ' + e;
      setBusy(false);
      return;
    }
    if (!r.ok) {
      const j = await r.json().catch(() => ({}));
      $('status').textContent = 'Sign-in failed: ' + (j.error || ('HTTP ' + r.status));
      setBusy(false);
      return;
    }
    if (forwardUrl && /^https?:\\/\\//i.test(forwardUrl)) {
      location.assign(forwardUrl);
      return;
    }
    $('buttons').hidden = true;
    $('done').hidden = false;
  }
})();
</script>
</body>
</html>
`;
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    // docs/PLEX-API.md: "Plex's pages refuse to be framed".
    'X-Frame-Options': 'DENY',
    'Content-Security-Policy': "frame-ancestors 'none'",
  });
  res.end(html);
}

// ---------------------------------------------------------------- server

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function handle(req, res) {
  res.on('error', () => {}); // a client that went away is not our problem
  let url;
  try {
    url = new URL(req.url, 'http://127.0.0.1');
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (url.pathname.startsWith('/__fake/')) return control(req, res, url);

  const route = endpointOf(req.method, url.pathname);
  const entry = logRequest(req, url, route ? route.ep : null);
  res.on('finish', () => { entry.status = res.statusCode; });

  if (req.method === 'GET' && (url.pathname === '/auth' || url.pathname === '/auth/')) return authPage(res);
  if (!route) return send(req, res, errorAnswer(404, 1002));

  // Drain the request body (plex-oidc sends none) before answering.
  req.resume();
  const fault = takeFault(route.ep);
  const mode = fault?.mode ?? null;
  entry.fault = mode;
  if (mode === 'hang') return; // never answers; the client's timeout must fire
  if (mode === 'reset') {
    req.socket.destroy();
    return;
  }
  if (mode && mode.startsWith('status:')) return faultStatus(req, res, Number(mode.slice(7)), fault);
  if (mode === 'invalid-token') {
    return send(req, res, { status: 422, contentType: 'text/plain; charset=utf-8', raw: INVALID_TOKEN_BODY });
  }
  if (mode === 'unprocessable') {
    // A 422 that is not about the token (no 1001, no "Invalid token").
    return send(req, res, { status: 422, contentType: 'application/json; charset=utf-8',
      raw: JSON.stringify({ errors: [{ message: 'Validation failed', status: 422 }] }) });
  }
  if (mode === 'unauthorized-html') {
    // A 401 without Plex's envelope (what a proxy or firewall in front of
    // plex.tv might send).
    return send(req, res, { status: 401, contentType: 'text/html', raw: '<html><body><h1>401 Authorization Required</h1></body></html>' });
  }
  if (mode && mode.startsWith('redirect:')) {
    // To fault.location (an origin such as http://clients.localhost:PORT)
    // + the same path and query; without one, to the same path here.
    res.setHeader('Location', `${fault.location ?? ''}${req.url}`);
    return send(req, res, { status: Number(mode.slice(9)), contentType: 'text/html', raw: '<html><body>Moved</body></html>' });
  }
  if (mode === 'huge') return sendHuge(res);
  if (mode === 'garbage') {
    return send(req, res, { status: 200, contentType: 'application/json; charset=utf-8',
      raw: Buffer.concat([Buffer.from('{"id": 12, "code": \u00ab'), crypto.randomBytes(64), Buffer.from('\u0000<<>>')]) });
  }
  if (mode && mode.startsWith('delay:')) await sleep(Number(mode.slice(6)));
  if (res.destroyed || req.socket.destroyed) return;

  const ans = handlers[route.ep](req, url, route.m);
  if (mode === 'truncated') return sendTruncated(req, res, ans);
  return send(req, res, ans, mode === 'xml');
}

const srv = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`fake-plex: ${e.stack || e}\n`);
    if (!res.headersSent) json(res, 500, { error: 'fake-plex bug' });
    else res.destroy();
  });
});
srv.on('clientError', (err, socket) => socket.destroy());
srv.listen(args.port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: srv.address().port })}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => process.exit(0));

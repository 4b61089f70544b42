// cli.test.mjs - the command line and the configuration as an operator
// meets them (README.md, docs/CONFIGURATION.md): --help, --version, exit
// codes, check-config and its FILE:LINE: [section] key messages, --config
// with a missing file, PLEX_OIDC_* environment overrides, secret_file in a
// real sign-in, and etc/plex-oidc.example.ini: that it loads and that it
// and the documentation list the same keys as the binary.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  authRequest, BIN, FakePlex, loginForCode, Provider, randomSecret, recordSecret, REPO, request, runLogPath, sleep, tempDir,
  tokenRequest,
} from './lib/harness.mjs';

const EXAMPLE = path.join(REPO, 'etc/plex-oidc.example.ini');
const CONFIG_DOC = path.join(REPO, 'docs/CONFIGURATION.md');
const SERVER_ID = '0123456789abcdef0123456789abcdef01234567';

// The caller's PLEX_OIDC_* variables would override the files under test.
const cleanEnv = (extra = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLEX_OIDC_'))),
  ...extra,
});

let dir;
let cliLog; // every output of the binary here, for zz-secrets.test.mjs

before(async () => {
  dir = await tempDir('plex-oidc-cli-');
  cliLog = runLogPath(dir, 'cli-output.log');
});

// Runs the binary to completion. Returns {status, signal, stdout, stderr}.
function run(args, { env = {}, cwd = dir, timeout = 20000 } = {}) {
  assert.ok(fs.existsSync(BIN), `no provider binary at ${BIN} (build it with make)`);
  const r = spawnSync(BIN, args, { cwd, env: cleanEnv(env), encoding: 'utf8', timeout });
  assert.equal(r.error, undefined, String(r.error));
  fs.appendFileSync(cliLog, `$ plex-oidc ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// A valid configuration as lines (1-based line numbers in the comments).
function baseLines(secret) {
  return [
    '[server]', //                                                  1
    'listen = 127.0.0.1:8080', //                                   2
    'issuer = https://auth.example.com', //                         3
    'data_dir = /var/lib/plex-oidc', //                             4
    '', //                                                          5
    '[plex]', //                                                    6
    `server_id = ${SERVER_ID}`, //                                  7
    'owner_id = 22526914', //                                       8
    '[client.grafana]', //                                          9
    `secret = ${secret}`, //                                       10
    'redirect_uris = https://grafana.example.com/login/generic_oauth', // 11
  ];
}

let nfiles = 0;
function writeIni(lines, name = `c${++nfiles}.ini`) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

// ---------------------------------------------------------------- arguments

describe('arguments', () => {
  test('--help and -h: usage on stdout, exit 0', () => {
    for (const arg of ['--help', '-h']) {
      const r = run([arg]);
      assert.equal(r.status, 0, arg);
      assert.match(r.stdout, /^usage: plex-oidc/);
      assert.match(r.stdout, /--config FILE/);
      assert.match(r.stdout, /check-config FILE/);
      assert.match(r.stdout, /rotate-keys --config FILE \[--force\]/);
      assert.match(r.stdout, /hash-secret +read a client secret on standard input/);
      assert.match(r.stdout, /--version/);
      assert.match(r.stdout, /--port N/);
      assert.match(r.stdout, /PLEX_OIDC_<SECTION>_<KEY>/);
      assert.equal(r.stderr, '');
    }
  });

  test('--version: "plex-oidc VERSION" (the VERSION file\'s), exit 0', () => {
    const r = run(['--version']);
    assert.equal(r.status, 0);
    // The one place the version is written (the Makefile reads it).
    const version = fs.readFileSync(path.join(REPO, 'VERSION'), 'utf8').trim();
    assert.match(version, /^\d+\.\d+\.\d+/);
    assert.match(fs.readFileSync(path.join(REPO, 'Makefile'), 'utf8'), /^VERSION := \$\(shell cat VERSION\)$/m);
    assert.equal(r.stdout, `plex-oidc ${version}\n`);
    assert.equal(r.stderr, '');
  });

  test('an unknown argument: exit 2, the argument named, usage on stderr', () => {
    for (const args of [['--bogus'], ['--config'], ['check-config'], ['serve', '--config', 'x.ini']]) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`unknown argument '${args[0]}'`));
      assert.match(r.stderr, /usage: plex-oidc/);
      assert.equal(r.stdout, '');
    }
  });

  test('--port outside 1-65535: exit 2 with a message', () => {
    for (const port of ['0', '65536', 'abc', '-1']) {
      const r = run(['--port', port]);
      assert.equal(r.status, 2, `--port ${port}: exit ${r.status}`);
      assert.match(r.stderr, /--port needs a number from 1 to 65535/);
    }
  });

  test('--config (and -c) with a missing file: exit 1, the file and the reason named', () => {
    const missing = path.join(dir, 'no-such-dir', 'plex-oidc.ini');
    for (const flag of ['--config', '-c']) {
      const t0 = Date.now();
      const r = run([flag, missing]);
      assert.equal(r.status, 1, `${flag}: exit ${r.status}`);
      assert.ok(Date.now() - t0 < 10000, 'exits at once');
      assert.match(r.stderr, new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read`));
      assert.match(r.stderr, /No such file or directory/);
      assert.equal(r.stdout, '');
    }
  });
});

// ---------------------------------------------------------------- check-config

describe('check-config', () => {
  test('a good file: exit 0, "FILE: OK (N clients)"', () => {
    const secret = randomSecret();
    recordSecret(secret);
    const one = writeIni(baseLines(secret), 'good1.ini');
    let r = run(['check-config', one]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${one}: OK (1 client)\n`);
    assert.equal(r.stderr, '');
    const two = writeIni([...baseLines(secret), '', '[client.other]', `secret = ${randomSecret()}`,
      'redirect_uris = https://other.example.com/cb https://other.example.com/cb2'], 'good2.ini');
    r = run(['check-config', two]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${two}: OK (2 clients)\n`);
  });

  // One problem each: [what, line to change (1-based) or null to add at the
  // end, new text, expected line in the message, expected "[section] key",
  // expected text].
  const secret = randomSecret();
  const badSecret = `${'A'.repeat(20)}+/=${'b'.repeat(20)}`; // 43 characters, not URL-safe
  const cases = [
    ['listen with a host name', 2, 'listen = localhost:8080', 2, '[server] listen', /IP address/],
    ['issuer with a trailing slash', 3, 'issuer = https://auth.example.com/', 3, '[server] issuer', /must not end with "\/"/],
    ['http issuer that is not loopback', 3, 'issuer = http://auth.example.com', 3, '[server] issuer', /https/],
    ['server_id with an underscore', 7, 'server_id = my_server', 7, '[plex] server_id', /"my_server" is not a server id: use 1 to 128 letters, digits/],
    ['a key given twice', 5, 'listen = 127.0.0.1:9090', 5, '[server] listen', /duplicate key \(first set at line 2\)/],
    ['a required key missing (reported at the section header)', 4, '; no data_dir', 1, '[server] data_dir', /missing/],
    ['a secret that is too short', 10, 'secret = tooshort', 10, '[client.grafana] secret', /at least 32/],
    ['a secret that is not URL-safe', 10, `secret = ${badSecret}`, 10, '[client.grafana] secret', /A-Z a-z 0-9 - \. _ ~/],
    ['a secret_file that does not exist', 10, 'secret_file = nope.secret', 10, '[client.grafana] secret_file',
      /cannot read/],
    ['a redirect URI with a fragment', 11, 'redirect_uris = https://grafana.example.com/login#x', 11,
      '[client.grafana] redirect_uris', /fragment/],
    ['an unknown preset, with the list of presets', null, 'preset = grafanna', 13, '[client.grafana] preset',
      /"grafanna" is not a preset; the presets are: cloudflare, grafana, oauth2-proxy, jellyfin, home-assistant, proxmox, portainer, immich, nextcloud, generic/],
    ['a public client with a secret (reported at the secret)', null, 'public = yes', 10, '[client.grafana] secret',
      /set for a public client \(public = yes\): a public client has no secret/],
    ['a preset that makes the client public, with a secret', null, 'preset = home-assistant', 10,
      '[client.grafana] secret', /set for a public client \(preset home-assistant\)/],
    ['a secret_hash that is a password, not a hash', 10, 'secret_hash = hunter2', 10, '[client.grafana] secret_hash',
      /is not a hash made by plex-oidc hash-secret/],
    ['a private-use redirect URI on a confidential client', 11, 'redirect_uris = com.example.app:/cb', 11,
      '[client.grafana] redirect_uris', /only a public client may use/],
    ['an unknown key', null, '[ui]\nacent_color = #e5a00d', 14, '[ui] acent_color', /unknown key/],
    ['a bad accent colour', null, '[ui]\naccent_color = orange', 14, '[ui] accent_color', /hex colour/],
  ];
  for (const [what, line, text, msgLine, key, re] of cases) {
    test(`${what}: exit 1, "FILE:${msgLine}: ${key}: ..."`, () => {
      recordSecret(secret, badSecret);
      const lines = baseLines(secret);
      if (line === null) lines.push('', ...text.split('\n'));
      else lines[line - 1] = text;
      const file = writeIni(lines);
      const r = run(['check-config', file]);
      assert.equal(r.status, 1, `exit ${r.status}\n${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout, /OK/);
      const msgs = r.stderr.trim().split('\n');
      assert.equal(msgs.length, 1, `one problem, one line:\n${r.stderr}`);
      assert.ok(msgs[0].startsWith(`${file}:${msgLine}: ${key}: `), `message: ${msgs[0]}`);
      assert.match(msgs[0], re);
      for (const s of [secret, badSecret]) assert.ok(!r.stderr.includes(s), 'the secret is not shown');
    });
  }

  test('server_id = setup-mode (what old versions took as setup mode): exit 1, setup mode is not a value', () => {
    for (const value of ['setup-mode', 'SETUP-MODE']) {
      const lines = baseLines(randomSecret());
      lines[6] = `server_id = ${value}`;
      const file = writeIni(lines);
      const r = run(['check-config', file]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, new RegExp(`:7: \\[plex\\] server_id: "${value}" is not a server id: setup mode starts ` +
        'when plex-oidc runs without --config'));
    }
    const r = run(['check-config', writeIni(baseLines(randomSecret()))], { env: { PLEX_OIDC_PLEX_SERVER_ID: 'setup-mode' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /environment PLEX_OIDC_PLEX_SERVER_ID: \[plex\] server_id: "setup-mode" is not a server id/);
  });

  test('without owner_id: OK, with a warning on stderr that says what it risks and where to find the value', () => {
    const lines = baseLines(randomSecret());
    lines[7] = '';
    const file = writeIni(lines);
    const r = run(['check-config', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${file}: OK (1 client)\n`);
    assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6: warning: \\[plex\\] owner_id: not set: ` +
      'a Plex device in another account that claims your server\'s identifier would be let in as its owner'));
    assert.match(r.stderr, /setup mode shows it/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('several problems: all reported in one run, sorted by line, relative path as given', () => {
    const lines = baseLines(randomSecret());
    lines[10] = 'redirect_uris = https://grafana.example.com/login#x';
    lines[1] = 'listen = example.com:80';
    lines[6] = 'server_id = bad_id';
    lines.push('this is not a key value line');
    writeIni(lines, 'several.ini');
    const r = run(['check-config', 'several.ini'], { cwd: dir });
    assert.equal(r.status, 1);
    const got = r.stderr.trim().split('\n').map((l) => /^several\.ini:(\d+): /.exec(l)?.[1]);
    assert.deepEqual(got, ['2', '7', '11', '12'], r.stderr);
    assert.match(r.stderr, /several\.ini:12: expected "key = value"/);
  });

  test('environment: a bad value names the variable; a misspelt variable is an error; empty is unset', () => {
    const file = writeIni(baseLines(randomSecret()), 'env.ini');
    let r = run(['check-config', file], { env: { PLEX_OIDC_SERVER_ISSUER: 'http://auth.example.com' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^environment PLEX_OIDC_SERVER_ISSUER: \[server\] issuer: /m);
    r = run(['check-config', file], { env: { PLEX_OIDC_UI_TITEL: 'x' } });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^environment PLEX_OIDC_UI_TITEL: /m);
    r = run(['check-config', file], { env: { PLEX_OIDC_SERVER_ISSUER: '', PLEX_OIDC_UI_TITLE: '' } });
    assert.equal(r.status, 0, r.stderr);
    // Other PLEX_OIDC_* names are none of the configuration's business.
    r = run(['check-config', file], { env: { PLEX_OIDC_E2E_SOMETHING: 'x' } });
    assert.equal(r.status, 0, r.stderr);
    // A variable supplies a key the file leaves out.
    const lines = baseLines(randomSecret());
    lines[3] = '; data_dir from the environment';
    const partial = writeIni(lines, 'partial.ini');
    r = run(['check-config', partial], { env: { PLEX_OIDC_SERVER_DATA_DIR: '/var/lib/plex-oidc' } });
    assert.equal(r.status, 0, r.stderr);
  });
});

// ---------------------------------------------------------------- running with overrides

// Starts p (after p.init()) with extra environment variables, as
// Provider.launch does without them.
async function launchWithEnv(p, env, healthPath = '/healthz') {
  const fd = fs.openSync(p.logPath, 'a');
  try {
    p.child = spawn(BIN, ['--config', p.configPath], { stdio: ['ignore', fd, fd], env: cleanEnv(env) });
  } finally {
    fs.closeSync(fd);
  }
  const child = p.child;
  process.once('exit', () => child.kill('SIGKILL'));
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited at start:\n${p.logText()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${p.port}${healthPath}`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch { /* not up yet */ }
    await sleep(50);
  }
  throw new Error(`no answer within 15 s:\n${p.logText()}`);
}

describe('running', () => {
  let fake;
  const providers = [];
  before(async () => {
    fake = await FakePlex.start();
  });
  after(async () => {
    for (const p of providers) await p.stop();
    await fake?.stop();
  });

  test('a server started without owner_id says so in its log, once, at start', async () => {
    const p = await Provider.start({ fake });
    providers.push(p);
    const lines = p.logText().split('\n').filter((l) => /owner_id: not set/.test(l));
    assert.equal(lines.length, 1, p.logText());
    assert.match(lines[0], / WARN .*warning: \[plex\] owner_id: not set: a Plex device in another account/);
    const hardened = await Provider.start({ fake, ownerId: 22526914 });
    providers.push(hardened);
    assert.doesNotMatch(hardened.logText(), /owner_id: not set/);
  });

  test('PLEX_OIDC_SERVER_ISSUER and PLEX_OIDC_CLIENT_APP_SECRET override the file', async () => {
    const p = new Provider({ fake });
    providers.push(p);
    await p.init();
    const issuer = `http://127.0.0.1:${p.port}/from-env`;
    const envSecret = randomSecret();
    recordSecret(envSecret);
    await launchWithEnv(p, { PLEX_OIDC_SERVER_ISSUER: issuer, PLEX_OIDC_CLIENT_APP_SECRET: envSecret },
      '/from-env/healthz');
    p.base = issuer; // everything lives below the issuer's path

    const d = await request(`${issuer}/.well-known/openid-configuration`);
    assert.equal(d.status, 200);
    assert.equal(d.json().issuer, issuer);
    assert.equal(d.json().token_endpoint, `${issuer}/token`);
    const root = await request(`http://127.0.0.1:${p.port}/.well-known/openid-configuration`);
    assert.equal(root.status, 404, "the file's issuer is not in effect");

    const ctx = await loginForCode(p, { user: 'alice' });
    assert.equal(ctx.redirect.params.iss, issuer);
    const fileSecret = p.client().secret;
    let t = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier, secret: fileSecret });
    assert.equal(t.status, 401, "the file's secret is replaced");
    t = await tokenRequest(p, { code: ctx.code, verifier: ctx.request.verifier, secret: envSecret });
    assert.equal(t.status, 200, t.text);
    assert.ok(t.json().id_token);
  });

  test('secret_file (relative to the config file; LF or CRLF ending) works for a real token exchange', async () => {
    const p = new Provider({ fake });
    providers.push(p);
    await p.init();
    const ini = fs.readFileSync(p.configPath, 'utf8');
    const app = p.client('app');
    const other = p.client('other');
    const replaced = ini
      .replace(`secret = ${app.secret}\n`, 'secret_file = app.secret\n')
      .replace(`secret = ${other.secret}\n`, 'secret_file = secrets/other.secret\n');
    assert.ok(!replaced.includes(app.secret) && !replaced.includes(other.secret), 'no inline secret left');
    fs.writeFileSync(p.configPath, replaced, { mode: 0o600 });
    fs.writeFileSync(path.join(p.dir, 'app.secret'), `${app.secret}\n`, { mode: 0o600 });
    fs.mkdirSync(path.join(p.dir, 'secrets'));
    fs.writeFileSync(path.join(p.dir, 'secrets/other.secret'), `${other.secret}\r\n`, { mode: 0o600 });
    // The provider runs from another directory than the configuration's.
    assert.notEqual(path.resolve(process.cwd()), p.dir);
    const check = run(['check-config', p.configPath], { cwd: REPO });
    assert.equal(check.status, 0, check.stderr);
    await p.launch();

    for (const client of ['app', 'other']) {
      const ctx = await loginForCode(p, { user: 'alice', request: authRequest(p, { client }) });
      const t = await tokenRequest(p, { client, code: ctx.code, verifier: ctx.request.verifier, auth: 'post' });
      assert.equal(t.status, 200, `${client}: ${t.text}`);
      assert.equal(t.json().token_type.toLowerCase(), 'bearer');
    }
  });
});

// ---------------------------------------------------------------- the example file and the documentation

// Keys of an INI text, active or commented out (";key = value"), as
// A named section ([client.ID], [group.NAME], [app.NAME]) counts as its kind.
const sectionKind = (s) => s.replace(/^(client|group|app)\..*$/, '$1');

// "section.key" with every [client.ID] as "client".
function iniKeys(text) {
  const keys = new Set();
  let section = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m;
    if ((m = /^[;#]?\s*\[([a-z0-9._-]+)\]\s*$/i.exec(line))) {
      section = sectionKind(m[1]);
    } else if ((m = /^[;#]?\s*([a-z_]+)\s*=/.exec(line)) && section) {
      keys.add(`${section}.${m[1]}`);
    }
  }
  return keys;
}

// Keys in the tables of docs/CONFIGURATION.md: the per-section tables
// ("| `key` | ..." under "## [section]") and the environment table
// ("| `[section] key` | `PLEX_OIDC_...` |"). Returns {keys, envRows}.
function docKeys(text) {
  const keys = new Set();
  const envRows = [];
  let section = null;
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^##\s+\[([a-z.A-Z]+)\]/.exec(line))) {
      section = sectionKind(m[1]);
    } else if (/^##\s/.test(line)) {
      section = null;
    } else if ((m = /^\|\s*`\[([a-z0-9._-]+)\] ([a-z_]+)`\s*\|\s*`([A-Z0-9_]+)`\s*\|/.exec(line))) {
      const s = sectionKind(m[1]);
      keys.add(`${s}.${m[2]}`);
      envRows.push({ section: m[1], key: m[2], variable: m[3] });
    } else if ((m = /^\|\s*`([a-z_]+)`\s*\|/.exec(line)) && section) {
      keys.add(`${section}.${m[1]}`);
    }
  }
  return { keys, envRows };
}

// The keys the binary knows, from its "unknown key; the keys of [S] are: ..."
// messages.
function binaryKeys() {
  const file = writeIni(['[server]', 'zzz = 1', '[plex]', 'zzz = 1', '[ui]', 'zzz = 1', '[store]', 'zzz = 1',
    '[client.a]', 'zzz = 1', '[group.a]', 'zzz = 1', '[app.a]', 'zzz = 1'], 'unknown-keys.ini');
  const r = run(['check-config', file]);
  assert.equal(r.status, 1);
  const keys = new Set();
  for (const m of r.stderr.matchAll(/the keys of \[([a-z.A-Z]+)\] are: ([a-z_, ]+)$/gm)) {
    const s = sectionKind(m[1]);
    for (const k of m[2].split(',')) keys.add(`${s}.${k.trim()}`);
  }
  assert.equal(new Set([...keys].map((k) => k.split('.')[0])).size, 7, `seven kinds of section:\n${r.stderr}`);
  return keys;
}

const sorted = (set) => [...set].sort();

describe('etc/plex-oidc.example.ini and docs/CONFIGURATION.md', () => {
  test('the example passes check-config with the environment secret its comments show', () => {
    const text = fs.readFileSync(EXAMPLE, 'utf8');
    const m = /^;\s*(PLEX_OIDC_CLIENT_[A-Z0-9_]+_SECRET)=/m.exec(text);
    assert.ok(m, 'the example documents a PLEX_OIDC_CLIENT_*_SECRET variable');
    const secret = randomSecret();
    recordSecret(secret);
    const r = run(['check-config', EXAMPLE], { env: { [m[1]]: secret } });
    assert.equal(r.status, 0, `${m[1]}=...: ${r.stderr}`);
    assert.equal(r.stdout, `${EXAMPLE}: OK (1 client)\n`);
    assert.equal(r.stderr, '', 'no warning: the example sets owner_id');
    // Without it, the secret_file it names (not shipped) is what is missing.
    const without = run(['check-config', EXAMPLE]);
    assert.equal(without.status, 1);
    assert.match(without.stderr, /^\S+plex-oidc\.example\.ini:\d+: \[client\.[a-z0-9._-]+\] secret_file: /m);
  });

  test('every key: the documentation tables, the example file and the binary agree', () => {
    const doc = docKeys(fs.readFileSync(CONFIG_DOC, 'utf8'));
    const ini = iniKeys(fs.readFileSync(EXAMPLE, 'utf8'));
    const bin = binaryKeys();
    assert.ok(doc.keys.size >= 15 && ini.size >= 15, `parsed ${doc.keys.size} documented, ${ini.size} example keys`);
    const missing = (a, b) => sorted(new Set([...a].filter((k) => !b.has(k))));
    assert.deepEqual(missing(doc.keys, ini), [], 'documented but not in the example');
    assert.deepEqual(missing(ini, doc.keys), [], 'in the example but not documented');
    assert.deepEqual(missing(bin, doc.keys), [], 'known to the binary but not documented');
    assert.deepEqual(missing(doc.keys, bin), [], 'documented but unknown to the binary');
  });

  test('the environment table follows the naming rule', () => {
    const { envRows } = docKeys(fs.readFileSync(CONFIG_DOC, 'utf8'));
    assert.ok(envRows.length >= 4);
    for (const { section, key, variable } of envRows) {
      const want = `PLEX_OIDC_${section}_${key}`.toUpperCase().replace(/[.-]/g, '_');
      assert.equal(variable, want, `[${section}] ${key}`);
    }
  });
});

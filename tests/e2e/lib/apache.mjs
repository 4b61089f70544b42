// apache.mjs - a private Apache httpd with Debian's mod_auth_openidc, as a
// real relying party of plex-oidc (tests/e2e/apache.test.mjs).
//
// Each instance gets its own temporary directory (ServerRoot, config, pid
// file, logs, document root), listens on one port of 127.0.0.1 and runs in
// the foreground as a child of the test process, in a process group of its
// own so that it and its workers can be killed together. Nothing is installed
// here: scripts/install-deps test installs apache2-bin (the server and its
// modules, without the Debian service that would take port 80) and
// libapache2-mod-auth-openidc.
//
// The protected page is a server-side include (mod_include) that echoes
// REMOTE_USER and the OIDC_CLAIM_* variables mod_auth_openidc sets, each in
// an element with an id, so the browser can read them.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { freePort, sleep, tempDir } from './harness.mjs';

export const APACHE_BIN = process.env.PLEX_OIDC_APACHE || '/usr/sbin/apache2';
export const APACHE_MODULES = '/usr/lib/apache2/modules';

// Modules the private config loads (those compiled into Debian's apache2,
// such as log_config and unixd, are skipped when they have no .so file).
const MODULES = [
  ['mpm_event_module', 'mod_mpm_event.so'],
  ['authn_core_module', 'mod_authn_core.so'], // AuthType
  ['authz_core_module', 'mod_authz_core.so'], // Require
  ['authz_user_module', 'mod_authz_user.so'], // Require valid-user
  ['log_config_module', 'mod_log_config.so'],
  ['unixd_module', 'mod_unixd.so'],
  ['mime_module', 'mod_mime.so'],
  ['dir_module', 'mod_dir.so'],
  ['include_module', 'mod_include.so'], // the SSI page
  ['auth_openidc_module', 'mod_auth_openidc.so'],
];

// Why Apache cannot run here, or null if it can.
export function apacheMissing() {
  if (!fs.existsSync(APACHE_BIN)) return `no ${APACHE_BIN} (scripts/install-deps test installs apache2-bin)`;
  if (!fs.existsSync(path.join(APACHE_MODULES, 'mod_auth_openidc.so'))) {
    return 'no mod_auth_openidc.so (scripts/install-deps test installs libapache2-mod-auth-openidc)';
  }
  return null;
}

const PAGE = `<!--#config echomsg="" -->
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Protected by mod_auth_openidc</title></head>
<body>
<h1 id="title">Protected page</h1>
<dl>
<dt>REMOTE_USER</dt><dd id="remote-user"><!--#echo var="REMOTE_USER" --></dd>
<dt>sub</dt><dd id="sub"><!--#echo var="OIDC_CLAIM_sub" --></dd>
<dt>preferred_username</dt><dd id="preferred-username"><!--#echo var="OIDC_CLAIM_preferred_username" --></dd>
<dt>name</dt><dd id="name"><!--#echo var="OIDC_CLAIM_name" --></dd>
<dt>email</dt><dd id="email"><!--#echo var="OIDC_CLAIM_email" --></dd>
<dt>email_verified</dt><dd id="email-verified"><!--#echo var="OIDC_CLAIM_email_verified" --></dd>
<dt>iss</dt><dd id="iss"><!--#echo var="OIDC_CLAIM_iss" --></dd>
<dt>groups</dt><dd id="groups"><!--#echo var="OIDC_CLAIM_groups" --></dd>
</dl>
</body>
</html>
`;

// Apache quoting: a value in double quotes with " and \ escaped.
const q = (s) => `"${String(s).replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export class Apache {
  // opts: {provider, clientId, secret, port?, tokenAuth?, pkce?, scope?,
  //        remoteUserClaim?, locations?}
  // locations: more protected paths, [{path: '/owner', require: 'claim
  // groups:plex-owner'}], each serving the same page as /protected.
  // The caller registers redirectUri(port) for clientId in the provider.
  static async start(opts) {
    const a = new Apache(opts);
    await a.init();
    await a.launch();
    return a;
  }

  static redirectPath = '/protected/redirect_uri';

  constructor({ provider, clientId, secret, port, tokenAuth = 'client_secret_basic', pkce = 'S256',
    scope = 'openid email profile', remoteUserClaim = 'sub', locations = [] }) {
    this.locations = locations;
    this.provider = provider;
    this.clientId = clientId;
    this.secret = secret;
    this.port = port;
    this.tokenAuth = tokenAuth;
    this.pkce = pkce;
    this.scope = scope;
    this.remoteUserClaim = remoteUserClaim;
  }

  get redirectUri() {
    return `${this.base}${Apache.redirectPath}`;
  }

  url(p) {
    return `${this.base}${p}`;
  }

  async init() {
    this.dir = await tempDir('plex-oidc-apache-');
    if (!this.port) this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    // Apache's workers run as www-data when started as root: they must be
    // able to reach the document root (not the config, read by the parent).
    fs.chmodSync(this.dir, 0o711);
    this.docroot = path.join(this.dir, 'htdocs');
    fs.mkdirSync(path.join(this.docroot, 'protected'), { recursive: true, mode: 0o755 });
    fs.chmodSync(this.docroot, 0o755);
    fs.chmodSync(path.join(this.docroot, 'protected'), 0o755);
    fs.writeFileSync(path.join(this.docroot, 'protected', 'index.shtml'), PAGE, { mode: 0o644 });
    for (const l of this.locations) {
      fs.mkdirSync(path.join(this.docroot, l.path), { recursive: true, mode: 0o755 });
      fs.chmodSync(path.join(this.docroot, l.path), 0o755);
      fs.writeFileSync(path.join(this.docroot, l.path, 'index.shtml'), PAGE, { mode: 0o644 });
    }
    fs.writeFileSync(path.join(this.docroot, 'index.html'), '<!doctype html><title>open</title><p id="open">open page</p>\n',
      { mode: 0o644 });
    // Our own (empty) types file: Debian's /etc/mime.types comes with
    // media-types, which apache2-bin does not pull in.
    fs.writeFileSync(path.join(this.dir, 'mime.types'), '');
    this.confPath = path.join(this.dir, 'httpd.conf');
    this.errorLog = path.join(this.dir, 'error.log');
    this.accessLog = path.join(this.dir, 'access.log');
    this.stdoutLog = path.join(this.dir, 'stdout.log');
    fs.writeFileSync(this.confPath, this.config(), { mode: 0o600 });
  }

  config() {
    const loads = MODULES
      .filter(([, so]) => fs.existsSync(path.join(APACHE_MODULES, so)))
      .map(([name, so]) => `LoadModule ${name} ${path.join(APACHE_MODULES, so)}`);
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    return [
      '# written by tests/e2e/lib/apache.mjs',
      `ServerRoot ${q(this.dir)}`,
      `DefaultRuntimeDir ${q(this.dir)}`,
      `PidFile ${q(path.join(this.dir, 'httpd.pid'))}`,
      `Mutex file:${this.dir} default`,
      ...loads,
      asRoot ? 'User www-data\nGroup www-data' : '# not root: runs as the current user',
      `Listen 127.0.0.1:${this.port}`,
      'ServerName 127.0.0.1',
      `ErrorLog ${q(this.errorLog)}`,
      'LogLevel warn auth_openidc:debug',
      'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
      `CustomLog ${q(this.accessLog)} common`,
      'StartServers 1',
      'ServerLimit 1',
      'ThreadsPerChild 16',
      'MaxRequestWorkers 16',
      'MinSpareThreads 1',
      'MaxSpareThreads 16',
      'KeepAliveTimeout 2',
      `TypesConfig ${q(path.join(this.dir, 'mime.types'))}`,
      'AddType text/html .html .shtml',
      `DocumentRoot ${q(this.docroot)}`,
      `<Directory ${q(this.docroot)}>`,
      '  Options +IncludesNOEXEC',
      '  AllowOverride None',
      '  Require all granted',
      '  DirectoryIndex index.shtml index.html',
      '  AddOutputFilter INCLUDES .shtml',
      '</Directory>',
      '',
      '# The relying party, as docs/INTEGRATIONS.md shows it (with http on loopback).',
      `OIDCProviderMetadataURL ${this.provider.url('/.well-known/openid-configuration')}`,
      `OIDCClientID ${q(this.clientId)}`,
      `OIDCClientSecret ${q(this.secret)}`,
      `OIDCRedirectURI ${this.redirectUri}`,
      `OIDCCryptoPassphrase ${q(crypto.randomBytes(24).toString('base64url'))}`,
      `OIDCProviderTokenEndpointAuth ${this.tokenAuth}`,
      `OIDCScope ${q(this.scope)}`,
      this.pkce ? `OIDCPKCEMethod ${this.pkce}` : '# no PKCE',
      `OIDCRemoteUserClaim ${this.remoteUserClaim}`,
      // Only the plain http of loopback here; https in production.
      'OIDCSSLValidateServer Off',
      'OIDCHTTPTimeoutShort 10',
      'OIDCHTTPTimeoutLong 20',
      '<Location /protected>',
      '  AuthType openid-connect',
      '  Require valid-user',
      '</Location>',
      ...this.locations.flatMap((l) => [`<Location ${l.path}>`, '  AuthType openid-connect', `  Require ${l.require}`,
        '</Location>']),
      '',
    ].join('\n');
  }

  async launch() {
    const out = fs.openSync(this.stdoutLog, 'a');
    try {
      // detached: a process group of its own, so stop() and the exit hook
      // reach the workers too.
      this.child = spawn(APACHE_BIN, ['-f', this.confPath, '-DFOREGROUND'], {
        stdio: ['ignore', out, out],
        detached: true,
        env: { ...process.env, LANG: 'C' },
      });
    } finally {
      fs.closeSync(out);
    }
    live.add(this);
    this.child.once('exit', () => live.delete(this));
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`apache2 exited (${this.child.exitCode ?? this.child.signalCode}) at start:\n${this.logs()}`);
      }
      try {
        const r = await fetch(`${this.base}/index.html`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch { /* not up yet */ }
      await sleep(50);
    }
    await this.stop();
    throw new Error(`apache2 did not answer within 15 s:\n${this.logs()}`);
  }

  // SIGTERM to the group (Apache's graceful-stop signal is WINCH; TERM
  // stops at once), then SIGKILL after 5 s.
  async stop() {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const done = new Promise((resolve) => c.once('exit', resolve));
    killGroup(c.pid, 'SIGTERM');
    const t = setTimeout(() => killGroup(c.pid, 'SIGKILL'), 5000);
    await done;
    clearTimeout(t);
    // Workers may outlive the parent for a moment.
    killGroup(c.pid, 'SIGKILL');
  }

  // The error log, stdout/stderr and access log, for failure messages.
  logs() {
    const read = (f) => {
      try {
        return fs.readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const tail = (s, n = 60) => s.split('\n').slice(-n).join('\n');
    return `--- apache stdout/stderr\n${tail(read(this.stdoutLog))}\n--- apache error.log\n${tail(read(this.errorLog))}\n` +
      `--- apache access.log\n${tail(read(this.accessLog))}`;
  }

  // How mod_auth_openidc called plex-oidc's token endpoint, from its debug
  // log: [{basic, post}] per call (basic: an Authorization header was sent;
  // post: client_secret was in the body). Empty if the module's log format
  // does not show it (then callers cannot tell).
  tokenCalls() {
    let text = '';
    try {
      text = fs.readFileSync(this.errorLog, 'utf8');
    } catch { /* none yet */ }
    const token = this.provider.url('/token');
    return text.split('\n')
      .filter((l) => l.includes(`oidc_util_http_call: url=${token},`))
      .map((l) => ({
        basic: /basic_auth=\*+/.test(l),
        post: /[?&, =]client_secret=/.test(l.split(', content_type=')[0]),
      }));
  }

  accessLogText() {
    try {
      return fs.readFileSync(this.accessLog, 'utf8');
    } catch {
      return '';
    }
  }

  // The access log from offset `from` once it matches `re`, or as it is
  // after `timeoutMs`. Apache writes a request's line after the response
  // has gone out, so a browser that has the page can be ahead of the log.
  async accessLogWhen(re, from = 0, timeoutMs = 3000) {
    const t0 = Date.now();
    for (;;) {
      const text = this.accessLogText().slice(from);
      if (re.test(text) || Date.now() - t0 > timeoutMs) return text;
      await sleep(20);
    }
  }
}

function killGroup(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch { /* already gone */ }
}

const live = new Set();
process.on('exit', () => {
  for (const a of live) killGroup(a.child.pid, 'SIGKILL');
});

#!/usr/bin/python3
"""Provision a Glewlwyd 2.7 sqlite database for the benchmark (adapted from
the peer-measurement scripts).

usage: provision.py WORKDIR PORT JWKFILE

Creates WORKDIR/glewlwyd.conf (from glewlwyd.conf.tmpl) and
WORKDIR/glewlwyd.db initialised from Debian's shipped
/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz, starts glewlwyd,
and through its admin API (default admin/password) adds:
  * plugin instance 'oidc' (module oidc) signing with the JWK (RS256 by
    default: the same signature as plex-oidc)
  * user 'user1' (password scheme via the database user backend)
  * confidential client 'bench' (client_secret, client_secret_basic only)
then stops it. WORKDIR/glewlwyd.db is afterwards copied by the bench
harness for each measured start, so provisioning is not timed.
"""
import gzip, json, os, sqlite3, subprocess, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from httpc import Client  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ID, CLIENT_SECRET = 'bench', 'bench-secret-0123456789abcdef0123456789'
REDIRECT_URI = 'http://127.0.0.1:9/cb'
USER, USER_PW = 'user1', 'user1-Password!'


def write_conf(workdir, port, dbname='glewlwyd.db', confname='glewlwyd.conf'):
    tmpl = open(os.path.join(HERE, 'glewlwyd.conf.tmpl')).read()
    conf = tmpl.replace('@DIR@', workdir).replace('@PORT@', str(port))
    conf = conf.replace(f'{workdir}/glewlwyd.db', f'{workdir}/{dbname}')
    path = os.path.join(workdir, confname)
    open(path, 'w').write(conf)
    return path


def check(st, body, what):
    if st != 200:
        raise SystemExit(f'provision: {what} failed: HTTP {st} {body[:500]!r}')


def main():
    workdir, port, jwkfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(workdir, exist_ok=True)
    db = os.path.join(workdir, 'glewlwyd.db')
    if os.path.exists(db):
        os.unlink(db)
    sql = gzip.open('/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz', 'rt').read()
    con = sqlite3.connect(db); con.executescript(sql); con.commit(); con.close()
    conf = write_conf(workdir, port)
    log = open(os.path.join(workdir, 'provision.log'), 'w')
    p = subprocess.Popen(['glewlwyd', '-c', conf], stdout=log, stderr=subprocess.STDOUT)
    try:
        c = Client('127.0.0.1', port)
        for _ in range(500):
            try:
                if c.request('GET', '/config/')[0] == 200:
                    break
            except OSError:
                c.close()
            time.sleep(0.02)
        st, _, b = c.request('POST', '/api/auth/', js={'username': 'admin', 'password': 'password'})
        check(st, b, 'admin login')
        jwk = json.load(open(jwkfile))
        params = {
            'iss': f'http://127.0.0.1:{port}',
            'jwks-private': json.dumps({'keys': [jwk]}),
            'default-kid': jwk['kid'],
            'jwks-show': True,
            'access-token-duration': 3600,
            'refresh-token-duration': 1209600,
            'code-duration': 600,
            'refresh-token-rolling': True,
            'allow-non-oidc': False,
            'auth-type-code-enabled': True,
            'auth-type-token-enabled': False,
            'auth-type-password-enabled': False,
            'auth-type-client-enabled': False,
            'auth-type-device-enabled': False,
            'auth-type-refresh-enabled': True,
            'subject-type': 'public',
            'scope': [],
            'name-claim': 'on-demand',
            'email-claim': 'no',
            'scope-claim': 'no',
            'address-claim': {'type': 'no'},
            'pkce-allowed': False,
            'introspection-revocation-allowed': False,
            'register-client-allowed': False,
            'session-management-allowed': False,
        }
        st, _, b = c.request('POST', '/api/mod/plugin/', js={
            'module': 'oidc', 'name': 'oidc', 'display_name': 'OpenID Connect',
            'enabled': True, 'parameters': params})
        check(st, b, 'add oidc plugin')
        # openid scope: require the password scheme (shipped default is 0)
        st, _, b = c.request('GET', '/api/scope/openid')
        check(st, b, 'get scope openid')
        sc = json.loads(b); sc['password_required'] = True
        st, _, b = c.request('PUT', '/api/scope/openid', js=sc)
        check(st, b, 'update scope openid')
        st, _, b = c.request('POST', '/api/user/', js={
            'username': USER, 'password': USER_PW, 'name': 'User One',
            'email': 'user1@example.org', 'scope': ['openid', 'g_profile'], 'enabled': True})
        check(st, b, 'add user')
        st, _, b = c.request('POST', '/api/client/', js={
            'client_id': CLIENT_ID, 'name': 'bench client', 'description': 'benchmark RP',
            'confidential': True, 'client_secret': CLIENT_SECRET, 'enabled': True,
            'redirect_uri': [REDIRECT_URI], 'authorization_type': ['code', 'refresh_token'],
            'token_endpoint_auth_method': ['client_secret_basic'], 'scope': []})
        check(st, b, 'add client')
        st, _, b = c.request('GET', '/api/oidc/.well-known/openid-configuration', send_cookies=False)
        check(st, b, 'discovery')
        print('provisioned', db)
    finally:
        p.terminate(); p.wait(timeout=15)


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""plex-oidc benchmark harness (called by bench/run; adapted from the
peer-measurement scripts).

Measures, on the same work and the same machine, plex-oidc, the floor
(libmicrohttpd answering a fixed body), the stack floor (plex-oidc's
libraries and threads, no provider code), Glewlwyd and node oidc-provider:

  startup     exec to the first HTTP 200 on the discovery URL, polled every
              2 ms with a fresh connection. plex-oidc: with its signing key
              present; the first start (RSA key generation) is separate.
  memory      VmRSS / RssAnon / threads right after start and after IDLE s;
              peak VmRSS sampled every 50 ms under load; VmHWM; RSS with
              PENDING logins pending; distinct shared objects in
              /proc/PID/maps.
  throughput  wrk -tT -cC -dDs --latency on discovery and JWKS: req/s,
              p50/p99 and server CPU per request (utime+stime).
  token       TOKENS code exchanges (client_secret_basic), a fresh code
              each, sequential over one keep-alive connection: median, p99,
              CPU per request; then TOKENS more from TOKEN_CONC clients.
              The floor answers the same POST (same headers and body) with a
              fixed body: the request cost floor.
  forward auth  /forward-auth with a valid session (wrk as discovery, in the
              same run as the floor), and RSS before and after 10,000
              distinct sessions have been checked (its section below).
  authorize   TOKENS authorization requests, each from a new browser (a
              pending login written to the store and the login page),
              sequential over one keep-alive connection: median, p99, CPU.
  store       plex-oidc-redis: the same binary with [store] on a loopback
              redis-server this script starts (its own configuration,
              127.0.0.1:18090, a password, no persistence), measured with
              the same phases as plex-oidc in the same run; Redis's own CPU
              per token exchange is reported beside plex-oidc's.
  login       LOGINS whole logins (authorization request to token) from
              LOGIN_CONC parallel browsers: server CPU per login, requests
              per login, and the sum of the provider's own request latencies
              per login (plex-oidc: plex.tv's part is the fake's approval,
              not counted; /login/start waits for the PIN creation).

usage: bench.py OUTDIR --bin BUILD/plex-oidc --floor-bin F --stack-bin S
                [--reps 3] [--idle 60] [--wrk-duration 10] ...
Every process started is stopped by its PID (SIGTERM, SIGKILL after 15 s).
Writes OUTDIR/raw.json and OUTDIR/summary.md and prints the summary.
"""
import argparse
import concurrent.futures as cf
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'lib'))
sys.path.insert(0, os.path.join(HERE, 'glewlwyd'))
from httpc import Client, query_param, path_of  # noqa: E402
import provision as gprov  # noqa: E402

SCR = os.environ.get('BENCH_SCRATCH', '/tmp/plex-oidc-bench')
CLIENT_ID = 'bench'
PEER_SECRET = 'bench-secret-0123456789abcdef0123456789'
REDIRECT_URI = 'http://127.0.0.1:9/cb'
SERVER_ID = '0123456789abcdef0123456789abcdef01234567'
CLK_TCK = os.sysconf('SC_CLK_TCK')
RUNNING = {}   # pid -> Popen, for cleanup
PIDFILE = None
A = None       # parsed arguments


def log(*a):
    print('[bench]', *a, flush=True)


# ---------------------------------------------------------------- /proc helpers
def proc_status(pid):
    out = {}
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                k, _, v = line.partition(':')
                if k in ('VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'Threads'):
                    out[k] = int(v.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return out


class CpuSnap:
    """CPU time of a process at one instant. The difference of two snapshots
    is in seconds: from the threads' schedstat (ns resolution) when the same
    threads lived at both instants and no more than 2 ticks went missing,
    else from utime+stime in /proc/PID/stat (10 ms ticks, but it includes
    threads that have exited meanwhile)."""

    def __init__(self, pid):
        with open(f'/proc/{pid}/stat') as f:
            parts = f.read().rsplit(')', 1)[1].split()
        self.ticks_s = (int(parts[11]) + int(parts[12])) / CLK_TCK   # utime + stime
        self.tasks = {}
        try:
            for t in os.listdir(f'/proc/{pid}/task'):
                try:
                    with open(f'/proc/{pid}/task/{t}/schedstat') as f:
                        self.tasks[t] = int(f.read().split()[0])
                except OSError:
                    pass
        except OSError:
            pass

    def __sub__(self, o):
        ticks = self.ticks_s - o.ticks_s
        if self.tasks and set(self.tasks) == set(o.tasks):
            fine = (sum(self.tasks.values()) - sum(o.tasks.values())) / 1e9
            # threads that came and went in between (Glewlwyd: one per
            # connection) are only in the ticks: then trust the ticks
            if ticks <= fine + 2.5 / CLK_TCK:
                return fine
        return ticks


def proc_cpu_s(pid):
    return CpuSnap(pid)


def proc_cpu_ns_tasks(pid):
    """CPU time of the live threads of pid in ns (schedstat: ns resolution,
    unlike the 10 ms ticks of /proc/PID/stat; exited threads are not in it)."""
    total = 0
    try:
        for t in os.listdir(f'/proc/{pid}/task'):
            try:
                with open(f'/proc/{pid}/task/{t}/schedstat') as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass
    except OSError:
        pass
    return total


def loadavg():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


def shared_objects(pid):
    libs = set()
    with open(f'/proc/{pid}/maps') as f:
        for line in f:
            p = line.split(None, 5)
            if len(p) == 6 and re.search(r'\.so(\.|$)', p[5].strip()):
                libs.add(p[5].strip())
    return sorted(libs)


class Sampler(threading.Thread):
    """Samples VmRSS, RssAnon and the thread count of pid every 50 ms."""

    def __init__(self, pid, period=0.05):
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.max_rss = self.max_anon = self.max_threads = 0
        self.stop_ev = threading.Event()

    def run(self):
        while not self.stop_ev.is_set():
            s = proc_status(self.pid)
            self.max_rss = max(self.max_rss, s.get('VmRSS', 0))
            self.max_anon = max(self.max_anon, s.get('RssAnon', 0))
            self.max_threads = max(self.max_threads, s.get('Threads', 0))
            self.stop_ev.wait(self.period)

    def stop(self):
        self.stop_ev.set()
        self.join()


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100
    f = int(k)
    c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)


def xff(i):
    """A distinct client address per simulated browser (10.0.0.0/8). plex-oidc
    is configured to trust 127.0.0.1 as a proxy, so per-client rate limits see
    many browsers, as in real use, not one address doing 10,000 logins."""
    i = i % (1 << 24)
    return f'10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}'


# ---------------------------------------------------------------- processes
def start_proc(name, cmd, env=None, cwd=None, logpath=None):
    logf = open(logpath, 'w') if logpath else subprocess.DEVNULL
    p = subprocess.Popen(cmd, cwd=cwd, env=dict(os.environ, **(env or {})), stdout=logf,
                         stderr=subprocess.STDOUT if logpath else subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    RUNNING[p.pid] = p
    if PIDFILE:        # for bench/run's cleanup: pid, name, start time (field 22)
        try:
            with open(f'/proc/{p.pid}/stat') as f:
                st = f.read().rsplit(')', 1)[1].split()[19]
        except OSError:
            st = '0'
        with open(PIDFILE, 'a') as f:
            f.write(f'{p.pid} {name} {st}\n')
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    RUNNING.pop(p.pid, None)


def stop_all():
    for p in list(RUNNING.values()):
        stop(p)


def port_busy(port):
    with socket.socket() as so:
        so.settimeout(0.5)
        return so.connect_ex(('127.0.0.1', port)) == 0


def wait_ready(port, path, deadline, p=None):
    while time.perf_counter() < deadline:
        if p is not None and p.poll() is not None:
            raise RuntimeError(f'process on port {port} exited with {p.returncode} before answering')
        try:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=1)
            c.request('GET', path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f'127.0.0.1:{port} not ready')


# ---------------------------------------------------------------- wrk
def parse_wrk(out):
    def dur_ms(s):
        m = re.match(r'([\d.]+)(us|ms|s|m)', s)
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == 'us' else v if u == 'ms' else v * 1000 if u == 's' else v * 60000
    r = {}
    m = re.search(r'Requests/sec:\s+([\d.]+)', out)
    r['rps'] = float(m.group(1)) if m else None
    m = re.search(r'(\d+) requests in ([\d.]+\w+)', out)
    r['requests'] = int(m.group(1)) if m else None
    for q in ('50', '75', '90', '99'):
        m = re.search(rf'^\s+{q}%\s+(\S+)', out, re.M)
        r[f'p{q}_ms'] = dur_ms(m.group(1)) if m else None
    m = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    r['non2xx'] = int(m.group(1)) if m else 0
    m = re.search(r'Socket errors: (.*)', out)
    r['socket_errors'] = m.group(1).strip() if m else ''
    return r


def run_wrk(pid, url):
    cmd = ['wrk', f'-t{A.wrk_threads}', f'-c{A.wrk_conns}', f'-d{A.wrk_duration}s', '--latency', url]
    s = Sampler(pid)
    cpu0 = proc_cpu_s(pid)
    s.start()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=A.wrk_duration + 60).stdout
    s.stop()
    cpu1 = proc_cpu_s(pid)
    r = parse_wrk(out)
    r.update(cmd=' '.join(cmd), max_rss_kb=s.max_rss, max_threads=s.max_threads, server_cpu_s=round(cpu1 - cpu0, 3))
    if r.get('requests'):
        r['server_cpu_us_per_req'] = round((cpu1 - cpu0) * 1e6 / r['requests'], 2)
    if r['non2xx'] or r['socket_errors']:
        log(f'  wrk {url}: non-2xx {r["non2xx"]}, socket errors {r["socket_errors"]!r}')
    return r


# ---------------------------------------------------------------- plex-oidc drivers
def AUTHQ(i, scope='openid profile email'):
    """An authorization request as relying parties send them: state and
    nonce of 32 random bytes in base64url (43 characters), as Grafana,
    oauth2-proxy and most OIDC libraries generate them."""
    return urllib.parse.urlencode({
        'client_id': CLIENT_ID, 'redirect_uri': REDIRECT_URI, 'response_type': 'code',
        'scope': scope, 'state': secrets.token_urlsafe(32), 'nonce': secrets.token_urlsafe(32)})
_login_seq = [0]
_login_lock = threading.Lock()


def next_login_no():
    with _login_lock:
        _login_seq[0] += 1
        return _login_seq[0]


def po_login(peer, with_token=False):
    """One whole plex-oidc login as a browser does it, from a fresh cookie
    jar, against the fake plex.tv. Returns (code or token answer, request
    latencies of the provider's own requests {name: [ms...]}, request count)."""
    i = next_login_no()
    hdr = {'X-Forwarded-For': xff(i)} if A.xff else {}
    c = Client('127.0.0.1', peer['port'])
    fake = Client('127.0.0.1', peer['fake_port'])
    lat = {}

    def req(name, method, path, **kw):
        t = time.perf_counter()
        st, h, b = c.request(method, path, headers=hdr, **kw)
        lat.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return st, h, b
    try:
        st, h, b = req('authorize', 'GET', '/authorize?' + AUTHQ(i))
        m = re.search(rb'data-login-id="([^"]+)"', b)
        assert st == 200 and m, ('authorize', st, b[:300])
        lid = m.group(1).decode()
        st, h, b = req('login/start', 'GET', '/login/start?l=' + lid)
        loc = h.get('location', '')
        assert st == 302 and 'code=' in loc, ('login/start', st, loc, b[:300])
        frag = urllib.parse.urlsplit(loc).fragment.lstrip('?')
        pin = urllib.parse.parse_qs(frag)['code'][0]
        st, _, b = fake.request('POST', '/__fake/approve', js={'code': pin, 'user': 'alice'})
        assert st == 200, ('fake approve', st, b[:300])
        deadline = time.monotonic() + 30
        while True:
            st, h, b = req('login/status', 'GET', '/login/status?l=' + lid)
            assert st == 200, ('login/status', st, b[:300])
            state = json.loads(b)['state']
            if state == 'done':
                break
            assert state == 'waiting' and time.monotonic() < deadline, ('login/status', b[:300])
            time.sleep(1.0)
        st, h, b = req('login/finish', 'GET', '/login/finish?l=' + lid)
        code = query_param(h.get('location', ''), 'code')
        assert st == 302 and code, ('login/finish', st, h.get('location'), b[:300])
        out = code
        if with_token:
            st, h, b = req('token', 'POST', '/token', basic=(CLIENT_ID, peer['secret']),
                           form={'grant_type': 'authorization_code', 'code': code, 'redirect_uri': REDIRECT_URI})
            assert st == 200 and b'id_token' in b, ('token', st, b[:300])
            out = b
        return out, lat
    finally:
        c.close()
        fake.close()


def po_codes(peer, n):
    with cf.ThreadPoolExecutor(max_workers=min(n, A.mint_conc)) as ex:
        return [r[0] for r in ex.map(lambda _: po_login(peer), range(n))]


def po_pending_path(i):
    return '/authorize?' + AUTHQ(f'p{i}')


# ---------------------------------------------------------------- peer drivers
def codes_glewlwyd(peer, n):
    c = Client('127.0.0.1', peer['port'])
    st, _, b = c.request('POST', '/api/auth/', js={'username': gprov.USER, 'password': gprov.USER_PW})
    assert st == 200, ('glewlwyd login', st, b)
    st, _, b = c.request('PUT', f'/api/auth/grant/{CLIENT_ID}', js={'scope': 'openid'})
    assert st == 200, ('glewlwyd grant', st, b)
    codes = []
    for i in range(n):
        st, h, b = c.request('GET', '/api/oidc/auth?' + AUTHQ(i, 'openid') + '&g_continue')
        code = query_param(h.get('location', ''), 'code')
        assert st == 302 and code, ('glewlwyd auth', st, h.get('location'), b[:300])
        codes.append(code)
    c.close()
    return codes


def glewlwyd_login(peer, with_token=False):
    """A whole Glewlwyd login from a fresh cookie jar: password
    authentication, authorization request (consent was given once at
    provisioning time), code exchange."""
    i = next_login_no()
    c = Client('127.0.0.1', peer['port'])
    lat = {}

    def req(name, method, path, **kw):
        t = time.perf_counter()
        r = c.request(method, path, **kw)
        lat.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return r
    try:
        st, _, b = req('auth', 'POST', '/api/auth/', js={'username': gprov.USER, 'password': gprov.USER_PW})
        assert st == 200, ('glewlwyd login', st, b)
        st, h, b = req('authorize', 'GET', '/api/oidc/auth?' + AUTHQ(i, 'openid') + '&g_continue')
        code = query_param(h.get('location', ''), 'code')
        assert st == 302 and code, ('glewlwyd auth', st, h.get('location'), b[:300])
        st, _, b = req('token', 'POST', peer['token_path'], basic=(CLIENT_ID, PEER_SECRET),
                       form={'grant_type': 'authorization_code', 'code': code, 'redirect_uri': REDIRECT_URI})
        assert st == 200 and b'id_token' in b, ('token', st, b[:300])
        return b, lat
    finally:
        c.close()


def oidcp_interactive(c, i, req=None):
    """Drives oidc-provider's devInteractions login + consent from GET /auth
    to the redirect with a code. Returns the code."""
    req = req or (lambda name, *a, **kw: c.request(*a, **kw))
    loc = '/auth?' + AUTHQ(i)
    for _ in range(10):
        st, h, b = req('auth', 'GET', path_of(loc))
        loc = h.get('location', '')
        if 'code=' in loc:
            return query_param(loc, 'code')
        assert st in (302, 303) and '/interaction/' in loc, ('oidcp auth', st, loc, b[:300])
        uid = loc.rstrip('/').rsplit('/', 1)[1]
        st, h, b = req('interaction', 'GET', path_of(loc))
        form = {'prompt': 'login', 'login': 'user1', 'password': 'x'} if b'name="login"' in b \
            else {'prompt': 'consent'}
        st, h, b = req('interaction', 'POST', f'/interaction/{uid}', form=form)
        assert st in (302, 303), ('oidcp interaction', st, b[:300])
        loc = h['location']
    raise AssertionError('oidc-provider: no code after 10 steps')


def codes_oidcp(peer, n):
    c = Client('127.0.0.1', peer['port'])
    oidcp_interactive(c, -1)
    codes = []
    for i in range(n):        # session + grant exist: /auth answers with a code
        st, h, b = c.request('GET', '/auth?' + AUTHQ(i))
        code = query_param(h.get('location', ''), 'code')
        assert st in (302, 303) and code, ('oidcp auth', st, h.get('location'), b[:300])
        codes.append(code)
    c.close()
    return codes


def oidcp_login(peer, with_token=False):
    i = next_login_no()
    c = Client('127.0.0.1', peer['port'])
    lat = {}

    def req(name, method, path, **kw):
        t = time.perf_counter()
        r = c.request(method, path, **kw)
        lat.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return r
    try:
        code = oidcp_interactive(c, i, req)
        st, _, b = req('token', 'POST', peer['token_path'], basic=(CLIENT_ID, PEER_SECRET),
                       form={'grant_type': 'authorization_code', 'code': code, 'redirect_uri': REDIRECT_URI})
        assert st == 200 and b'id_token' in b, ('token', st, b[:300])
        return b, lat
    finally:
        c.close()


# ---------------------------------------------------------------- phases
def token_form(code):
    return {'grant_type': 'authorization_code', 'code': code, 'redirect_uri': REDIRECT_URI}


def token_seq(peer, pid, n):
    """n exchanges of fresh codes, sequential over one keep-alive connection.
    Codes are minted in batches (plex-oidc's codes live 60 s) and the
    exchanges of each batch are timed; minting is not."""
    lat, cpu, rcpu, wall, body = [], 0.0, 0.0, 0.0, b''
    s = Sampler(pid)
    s.start()
    t_mint = 0.0
    left = n
    while left > 0:
        k = min(left, peer.get('batch', n))
        t0 = time.perf_counter()
        codes = peer['mint'](peer, k)
        t_mint += time.perf_counter() - t0
        c = Client('127.0.0.1', peer['port'])
        c.request('GET', peer['disc'])      # open the connection outside the timing
        # plex-oidc: a distinct client address per exchange, so that the
        # per-client token budget (a rate limit) is not what gets measured
        hdrs = [({'X-Forwarded-For': xff(next_login_no())} if peer.get('xff') else {}) for _ in codes]
        cpu0 = proc_cpu_s(pid)
        rcpu0 = proc_cpu_s(peer['redis_pid']) if peer.get('redis_pid') else None
        t0 = time.perf_counter()
        for code, hdr in zip(codes, hdrs):
            t = time.perf_counter()
            st, h, body = c.request('POST', peer['token_path'], basic=(CLIENT_ID, peer['secret']),
                                    form=token_form(code), headers=hdr)
            lat.append((time.perf_counter() - t) * 1000)
            assert st == 200 and b'id_token' in body, ('token', st, body[:300])
        wall += time.perf_counter() - t0
        cpu += proc_cpu_s(pid) - cpu0
        if rcpu0 is not None:
            rcpu += proc_cpu_s(peer['redis_pid']) - rcpu0
        c.close()
        left -= k
    s.stop()
    tok = json.loads(body)
    return {'n': n, 'mint_s': round(t_mint, 2), 'median_ms': statistics.median(lat), 'p90_ms': pct(lat, 90),
            'p99_ms': pct(lat, 99), 'min_ms': min(lat), 'max_ms': max(lat), 'seq_rps': n / wall,
            'server_cpu_us_per_req': round(cpu * 1e6 / n, 1), 'max_rss_kb': s.max_rss,
            'redis_cpu_us_per_req': round(rcpu * 1e6 / n, 1) if peer.get('redis_pid') else None,
            'response_bytes': len(body), 'response_fields': sorted(tok.keys())}


def token_conc(peer, pid, n, conc):
    """n fresh codes exchanged by `conc` client threads, one keep-alive
    connection each."""
    codes = peer['mint'](peer, min(n, peer.get('batch', n)))   # one batch: all still valid
    n = len(codes)
    chunks = [codes[i::conc] for i in range(conc)]
    lats = [[] for _ in range(conc)]
    errs = []

    def worker(i):
        c = Client('127.0.0.1', peer['port'])
        try:
            c.request('GET', peer['disc'])
            for code in chunks[i]:
                hdr = {'X-Forwarded-For': xff(next_login_no())} if peer.get('xff') else {}
                t = time.perf_counter()
                st, h, b = c.request('POST', peer['token_path'], basic=(CLIENT_ID, peer['secret']),
                                     form=token_form(code), headers=hdr)
                lats[i].append((time.perf_counter() - t) * 1000)
                if st != 200:
                    errs.append((st, b[:200]))
        finally:
            c.close()
    th = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
    s = Sampler(pid)
    cpu0 = proc_cpu_s(pid)
    s.start()
    t0 = time.perf_counter()
    for t in th:
        t.start()
    for t in th:
        t.join()
    total = time.perf_counter() - t0
    s.stop()
    cpu1 = proc_cpu_s(pid)
    lat = [x for l in lats for x in l]
    assert not errs, errs[:3]
    return {'n': n, 'conc': conc, 'rps': n / total, 'median_ms': statistics.median(lat), 'p99_ms': pct(lat, 99),
            'server_cpu_us_per_req': round((cpu1 - cpu0) * 1e6 / n, 1), 'max_rss_kb': s.max_rss,
            'max_threads': s.max_threads}


def authorize_seq(peer, pid, n):
    """n authorization requests, each from a new browser (no cookies, its
    own address), sequential over one keep-alive connection: what showing
    the login page costs, a pending login written to the store included."""
    c = Client('127.0.0.1', peer['port'])
    c.request('GET', peer['disc'])      # open the connection outside the timing
    lat = []
    cpu0 = proc_cpu_s(pid)
    for i in range(n):
        hdr = {'X-Forwarded-For': xff(next_login_no())} if peer.get('xff') else {}
        t = time.perf_counter()
        st, _, b = c.request('GET', peer['authorize_path'](i), headers=hdr, send_cookies=False)
        lat.append((time.perf_counter() - t) * 1000)
        assert st == 200 and b'data-login-id' in b, ('authorize', st, b[:300])
        c.cookies.clear()
    cpu = proc_cpu_s(pid) - cpu0
    c.close()
    return {'n': n, 'median_ms': statistics.median(lat), 'p90_ms': pct(lat, 90), 'p99_ms': pct(lat, 99),
            'server_cpu_us_per_req': round(cpu * 1e6 / n, 1)}


def floor_post(peer, pid, n):
    """The request-cost floor of a token exchange: the same POST (headers,
    Basic credentials, form body of the same size) answered with a fixed body."""
    c = Client('127.0.0.1', peer['port'])
    c.request('GET', peer['disc'])
    fake_code = 'x' * 43
    lat = []
    cpu0 = proc_cpu_s(pid)
    for _ in range(n):
        t = time.perf_counter()
        st, _, b = c.request('POST', '/token', basic=(CLIENT_ID, PEER_SECRET), form=token_form(fake_code))
        lat.append((time.perf_counter() - t) * 1000)
        assert st == 200, ('floor POST', st)
    cpu = proc_cpu_s(pid) - cpu0
    c.close()
    return {'n': n, 'median_ms': statistics.median(lat), 'p99_ms': pct(lat, 99),
            'server_cpu_us_per_req': round(cpu * 1e6 / n, 1)}


def login_bench(peer, pid, n, conc):
    """n whole logins (authorization request .. token) from `conc` parallel
    browsers: server CPU per login and the provider's own request latencies."""
    s = Sampler(pid)
    s.start()
    cpu0 = proc_cpu_s(pid)
    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=min(n, conc)) as ex:
        res = list(ex.map(lambda _: peer['login'](peer, True), range(n)))
    wall = time.perf_counter() - t0
    time.sleep(0.2)      # let callbacks of the last logins finish
    cpu = proc_cpu_s(pid) - cpu0
    s.stop()
    sums, own, reqs, by = [], [], [], {}
    waits = peer.get('plex_wait', ())
    for _, lat in res:
        sums.append(sum(sum(v) for v in lat.values()))
        own.append(sum(sum(v) for k, v in lat.items() if k not in waits))
        reqs.append(sum(len(v) for v in lat.values()))
        for k, v in lat.items():
            by.setdefault(k, []).extend(v)
    return {'n': n, 'conc': conc, 'wall_s': round(wall, 2),
            'server_cpu_ms_per_login': round(cpu * 1e3 / n, 3),
            'requests_per_login': statistics.mean(reqs),
            'latency_sum_ms_median': statistics.median(sums),
            # without the requests that wait for plex.tv (plex-oidc's
            # /login/start answers once the PIN exists at plex.tv)
            'latency_sum_own_ms_median': statistics.median(own),
            'latency_by_request_median_ms': {k: round(statistics.median(v), 3) for k, v in by.items()},
            'requests_by_name': {k: len(v) for k, v in by.items()},
            'max_rss_kb': s.max_rss}


def pending_bench(peer, pid, n, conc=8):
    """n authorization requests from n fresh browsers (no cookies sent),
    each left pending, on a freshly started process. RSS before and after."""
    time.sleep(2)
    s0 = proc_status(pid)
    stats = {}
    lock = threading.Lock()
    base = next_login_no() * 100000

    probes = []    # (cookies, login id, headers) of the first logins: the first evicted if any is

    def worker(k):
        c = Client('127.0.0.1', peer['port'])
        mine = {}
        try:
            for i in range(k, n, conc):
                hdr = {'X-Forwarded-For': xff(base + i)} if peer.get('xff') else {}
                st, _, b = c.request('GET', peer['pending_path'](i), headers=hdr, send_cookies=False)
                if i == k and peer.get('pending_probe'):
                    m = re.search(rb'data-login-id="([^"]+)"', b)
                    if m:
                        with lock:
                            probes.append((dict(c.cookies), m.group(1).decode(), hdr))
                c.cookies.clear()
                mine[st] = mine.get(st, 0) + 1
        finally:
            c.close()
            with lock:
                for k2, v in mine.items():
                    stats[k2] = stats.get(k2, 0) + v
    t0 = time.perf_counter()
    th = [threading.Thread(target=worker, args=(k,)) for k in range(conc)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    wall = time.perf_counter() - t0
    time.sleep(1)
    s1 = proc_status(pid)
    # are the oldest logins still pending (not evicted to make room)?
    alive = 0
    for cookies, lid, hdr in probes:
        c = Client('127.0.0.1', peer['port'])
        c.cookies.update(cookies)
        st, _, b = c.request('GET', f'/login/status?l={lid}', headers=hdr)
        c.close()
        alive += st == 200 and json.loads(b).get('state') == 'idle'
    return {'n': n, 'wall_s': round(wall, 2), 'status_counts': {str(k): v for k, v in sorted(stats.items())},
            'oldest_still_pending': f'{alive}/{len(probes)}' if probes else None,
            'rss_before_kb': s0.get('VmRSS'), 'rss_after_kb': s1.get('VmRSS'),
            'anon_before_kb': s0.get('RssAnon'), 'anon_after_kb': s1.get('RssAnon'),
            'rss_delta_kb': s1.get('VmRSS', 0) - s0.get('VmRSS', 0),
            'anon_delta_kb': s1.get('RssAnon', 0) - s0.get('RssAnon', 0),
            'hwm_after_kb': s1.get('VmHWM')}


# ---------------------------------------------------------------- sessions (issue 10)
# The sign-on session (docs/SESSIONS.md): what a silent re-authorization
# and a refresh cost, and that memory does not grow with the number of
# sessions. Real sessions come from whole logins against the fake plex.tv;
# many more of the same sign-ins are sealed by bench/sessions/mint_sessions
# (the provider's own session code and key ring: see that file for why),
# and the binary accepts them as it accepts any of its sessions.
SESS_PEERS = ('plex-oidc', 'candidate', 'plex-oidc-redis')
SESS_USERS = ('alice', 'hank', 'fred', 'mia')
SESS_COOKIE = 'plexoidc_session'
SESS_LIFETIME_S = 7 * 86400      # [server] session_lifetime's default
SESS_CHAINS = 20                 # refresh token chains refreshed in turn
SESS_CONC = 4                    # client threads of the memory phase


def sess_real_cookies(peer, k):
    """k whole logins from fresh browsers (the users of SESS_USERS in
    turn): their session cookies."""
    out = []
    for j in range(k):
        i = next_login_no()
        hdr = {'X-Forwarded-For': xff(i)} if peer.get('xff') else {}
        c = Client('127.0.0.1', peer['port'])
        fake = Client('127.0.0.1', peer['fake_port'])
        try:
            st, _, b = c.request('GET', '/authorize?' + AUTHQ(i), headers=hdr)
            m = re.search(rb'data-login-id="([^"]+)"', b)
            assert st == 200 and m, ('authorize', st, b[:300])
            lid = m.group(1).decode()
            st, h, _ = c.request('GET', '/login/start?l=' + lid, headers=hdr)
            pin = urllib.parse.parse_qs(urllib.parse.urlsplit(h.get('location', '')).fragment.lstrip('?'))['code'][0]
            st, _, b = fake.request('POST', '/__fake/approve', js={'code': pin, 'user': SESS_USERS[j % len(SESS_USERS)]})
            assert st == 200, ('fake approve', st, b[:300])
            deadline = time.monotonic() + 30
            while json.loads(c.request('GET', '/login/status?l=' + lid, headers=hdr)[2])['state'] != 'done':
                assert time.monotonic() < deadline, 'login not done in 30 s'
                time.sleep(0.5)
            st, h, _ = c.request('GET', '/login/finish?l=' + lid, headers=hdr)
            assert st == 302 and 'code=' in h.get('location', ''), ('login/finish', st, h.get('location'))
            assert c.cookies.get(SESS_COOKIE), 'a session cookie after the sign-in'
            out.append(c.cookies[SESS_COOKIE])
        finally:
            c.close()
            fake.close()
    return out


def sess_signin(peer):
    """The real sign-ins of a provider, kept in its peer dict: sessions
    survive restarts, so later phases and repetitions mint from them."""
    peer['sess_real'] = sess_real_cookies(peer, len(SESS_USERS))
    return {'sign_ins': len(peer['sess_real'])}


def sess_mint(peer, real, n):
    """n sessions of the real sign-ins, sealed for this provider's issuer."""
    r = subprocess.run([A.mint_bin, os.path.join(SCR, 'plex-oidc', 'data'), f'http://127.0.0.1:{peer["port"]}', str(n),
                        str(SESS_LIFETIME_S)], input='\n'.join(real) + '\n', capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, ('mint_sessions', r.returncode, r.stderr[-500:])
    minted = r.stdout.split()
    assert len(minted) == n and len(set(minted)) == n, ('mint_sessions', len(minted))
    return minted


def sess_authorize(c, cookie, i, peer, scope='openid profile email'):
    """One silent re-authorization: GET /authorize with the session, 302
    with a code (no page). Returns the code."""
    hdr = {'Cookie': f'{SESS_COOKIE}={cookie}'}
    if peer.get('xff'):
        hdr['X-Forwarded-For'] = xff(i)
    st, h, b = c.request('GET', '/authorize?' + AUTHQ(i, scope), headers=hdr, send_cookies=False)
    code = query_param(h.get('location', ''), 'code')
    assert st == 302 and code, ('silent authorize', st, h.get('location'), b[:300])
    return code


def sess_silent_seq(peer, pid, n, sessions):
    """n silent re-authorizations (session present, re-check not due), the
    sessions in turn, sequential over one keep-alive connection."""
    c = Client('127.0.0.1', peer['port'])
    c.request('GET', peer['disc'])
    base = next_login_no() * 1000
    lat = []
    cpu0 = proc_cpu_s(pid)
    for i in range(n):
        t = time.perf_counter()
        sess_authorize(c, sessions[i % len(sessions)], base + i, peer)
        lat.append((time.perf_counter() - t) * 1000)
    cpu = proc_cpu_s(pid) - cpu0
    c.close()
    SESS_SEEN['cookie'] = len(sessions[0])
    return {'n': n, 'sessions': len(sessions), 'cookie_bytes': len(sessions[0]), 'median_ms': statistics.median(lat),
            'p99_ms': pct(lat, 99), 'server_cpu_us_per_req': round(cpu * 1e6 / n, 1)}


def sess_refresh_seq(peer, pid, n, sessions):
    """n refreshes (grant_type=refresh_token), SESS_CHAINS chains in turn,
    each with its newest token, sequential over one keep-alive connection.
    The chains come from silent re-authorizations with offline_access and
    their code exchanges (not timed)."""
    c = Client('127.0.0.1', peer['port'])
    c.request('GET', peer['disc'])
    base = next_login_no() * 1000
    tokens = []
    for j in range(min(SESS_CHAINS, len(sessions))):
        code = sess_authorize(c, sessions[j], base + j, peer, 'openid profile email offline_access')
        st, _, b = c.request('POST', '/token', basic=(CLIENT_ID, peer['secret']), form=token_form(code))
        assert st == 200 and b'refresh_token' in b, ('token', st, b[:300])
        tokens.append(json.loads(b)['refresh_token'])
    lat, body = [], b''
    cpu0 = proc_cpu_s(pid)
    for i in range(n):
        j = i % len(tokens)
        hdr = {'X-Forwarded-For': xff(base + 500 + i)} if peer.get('xff') else {}
        t = time.perf_counter()
        st, _, body = c.request('POST', '/token', basic=(CLIENT_ID, peer['secret']), headers=hdr,
                                form={'grant_type': 'refresh_token', 'refresh_token': tokens[j]})
        lat.append((time.perf_counter() - t) * 1000)
        assert st == 200 and b'id_token' in body, ('refresh', st, body[:300])
        tokens[j] = json.loads(body)['refresh_token']
    cpu = proc_cpu_s(pid) - cpu0
    c.close()
    SESS_SEEN['refresh'] = len(tokens[0])
    return {'n': n, 'chains': len(tokens), 'refresh_token_bytes': len(tokens[0]), 'median_ms': statistics.median(lat),
            'p99_ms': pct(lat, 99), 'server_cpu_us_per_req': round(cpu * 1e6 / n, 1), 'response_bytes': len(body)}


def sess_floor(peer, pid, n):
    """The request floors of the two: the floor answers the same GET (path,
    a Cookie of a session's size) and the same refresh POST (headers,
    Basic credentials, a body of the same size) with its fixed body."""
    cookie_bytes, refresh_bytes = SESS_SEEN['cookie'], SESS_SEEN['refresh']
    c = Client('127.0.0.1', peer['port'])
    c.request('GET', peer['disc'])
    out = {'cookie_bytes': cookie_bytes, 'refresh_bytes': refresh_bytes}
    for kind in ('get', 'refresh'):
        lat = []
        cpu0 = proc_cpu_s(pid)
        for i in range(n):
            t = time.perf_counter()
            if kind == 'get':
                st, _, _ = c.request('GET', '/authorize?' + AUTHQ(i), send_cookies=False,
                                     headers={'Cookie': f'{SESS_COOKIE}={"x" * cookie_bytes}'})
            else:
                st, _, _ = c.request('POST', '/token', basic=(CLIENT_ID, PEER_SECRET),
                                     form={'grant_type': 'refresh_token', 'refresh_token': 'x' * refresh_bytes})
            lat.append((time.perf_counter() - t) * 1000)
            assert st == 200, ('floor', kind, st)
        cpu = proc_cpu_s(pid) - cpu0
        out[kind] = {'n': n, 'median_ms': statistics.median(lat), 'p99_ms': pct(lat, 99),
                     'server_cpu_us_per_req': round(cpu * 1e6 / n, 1)}
    c.close()
    return out


# The sizes the floor imitates: as measured by plex-oidc's phases of the
# same run (they run first), else these (a session cookie of a sign-in
# with a name and an email; a refresh token).
SESS_SEEN = {'cookie': 620, 'refresh': 700}


def sess_codes(peer, n):
    """n codes from silent re-authorizations of the provider's sessions (a
    peer['mint'] for the token phases, set by sess_prepare): whole logins
    mint 300 codes too slowly for their 60 s lifetime within plex.tv's pace
    (LIM_PLEX_BUDGET_PER_S); the exchange that is timed is the same."""
    sessions = sess_mint(peer, peer['sess_real'], min(n, 1000))
    c = Client('127.0.0.1', peer['port'])
    base = next_login_no() * 1000
    try:
        return [sess_authorize(c, sessions[i % len(sessions)], base + i, peer) for i in range(n)]
    finally:
        c.close()


def sess_prepare(name, peer, phase):
    """Before plex-oidc's load phases: its real sign-ins (once per run),
    and codes for the token phases minted from its sessions."""
    if name not in SESS_PEERS or not A.mint_bin:
        return
    if not peer.get('sess_real'):
        phase('sess_signin', sess_signin, peer)
    if peer.get('sess_real'):
        peer['mint'] = sess_codes


def sess_load_phases(name, peer, p, r, phase):
    """plex-oidc's session phases, within load_phases: the silent
    re-authorization and the refresh timings."""
    if name == 'floor' and A.tokens > 0:
        time.sleep(0.5)
        phase('sess_floor', sess_floor, peer, p.pid, A.tokens)
        return
    if name not in SESS_PEERS or not A.mint_bin or A.tokens <= 0 or not peer.get('sess_real'):
        return
    sessions = sess_mint(peer, peer['sess_real'], min(A.tokens, 1000))
    time.sleep(0.5)
    phase('silent', sess_silent_seq, peer, p.pid, A.tokens, sessions)
    time.sleep(0.5)
    phase('refresh', sess_refresh_seq, peer, p.pid, A.tokens, sessions)


def sess_memory(peer, pid, warm, minted):
    """On a fresh process: `warm` silent re-authorizations from a few
    sessions (enough codes to fill the code store, LIM_CODES_MAX, so that
    it evicts from then on: the memory of codes is at its steady state),
    then RSS; then one silent re-authorization from each of the minted
    sessions; then RSS again. The difference is what the sessions cost.
    Both parts go over the same SESS_CONC keep-alive connections: a
    connection stays on one HTTP thread, and new connections landing on
    another thread, whose malloc arena the warm-up did not fill, made RSS
    grow by ~2 MiB while the heap in use did not (glibc malloc_stats:
    +2.4 MB "system", +0.07 MB "in use"), with the same sessions as with
    new ones."""
    time.sleep(1)
    few, many = minted[:SESS_CONC], minted[SESS_CONC:]
    base = next_login_no() * 100000
    answers = {'warm': 0, 'sessions': 0}
    lock = threading.Lock()
    conns = [Client('127.0.0.1', peer['port']) for _ in range(SESS_CONC)]

    def run(kind, items, start):
        def worker(k):
            done = 0
            try:
                for i in range(k, len(items), SESS_CONC):
                    sess_authorize(conns[k], items[i], start + i, peer)
                    done += 1
            finally:
                with lock:
                    answers[kind] += done
        th = [threading.Thread(target=worker, args=(k,)) for k in range(SESS_CONC)]
        for t in th:
            t.start()
        for t in th:
            t.join()
    try:
        run('warm', [few[i % len(few)] for i in range(warm)], base)
        time.sleep(1)
        s0 = proc_status(pid)
        t0 = time.perf_counter()
        run('sessions', many, base + warm)
        wall = time.perf_counter() - t0
        time.sleep(1)
        s1 = proc_status(pid)
    finally:
        for c in conns:
            c.close()
    assert answers == {'warm': warm, 'sessions': len(many)}, answers
    return {'n': len(many), 'warm': warm, 'answers': answers, 'wall_s': round(wall, 2),
            'rss_before_kb': s0.get('VmRSS'), 'rss_after_kb': s1.get('VmRSS'),
            'rss_delta_kb': s1.get('VmRSS', 0) - s0.get('VmRSS', 0),
            'anon_delta_kb': s1.get('RssAnon', 0) - s0.get('RssAnon', 0)}


def sess_memory_phase(name, P, outdir, rep, results, procs):
    """The memory phase of one provider on a fresh process (within
    one_rep, after its load phases): see sess_memory."""
    peer = P[name]
    if name not in ('plex-oidc', 'candidate') or not A.mint_bin or A.sessions <= 0 or not peer.get('sess_real'):
        return
    minted = sess_mint(peer, peer['sess_real'], A.sessions + SESS_CONC)
    p2, _ = launch(name, peer, outdir, rep, tag='-sessions')
    procs[name] = (p2, time.monotonic())
    try:
        results[name]['sessions'] = sess_memory(peer, p2.pid, A.sessions_warm, minted)
    except Exception as e:     # noqa: BLE001 - reported, not fatal
        log(f'  {name} sessions FAILED: {e!r}'[:600])
        results[name].setdefault('errors', {})['sessions'] = repr(e)[:600]
    stop(procs.pop(name)[0])


def sess_rows(row, A_):
    """The summary's rows of the session phases."""
    row('silent re-authorization (session, re-check not due): median (ms)', ('silent', 'median_ms'), 1, 3)
    row('silent re-authorization: p99 (ms)', ('silent', 'p99_ms'), 1, 3)
    row('silent re-authorization: server CPU (µs/req)', ('silent', 'server_cpu_us_per_req'), 1, 0)
    row('  floor: the same GET with a session-sized cookie: median (ms)', ('sess_floor', 'get', 'median_ms'), 1, 3)
    row('token refresh (grant_type=refresh_token), sequential: median (ms)', ('refresh', 'median_ms'), 1, 3)
    row('token refresh: p99 (ms)', ('refresh', 'p99_ms'), 1, 3)
    row('token refresh: server CPU (µs/req)', ('refresh', 'server_cpu_us_per_req'), 1, 0)
    row('  floor: the same refresh POST: median (ms)', ('sess_floor', 'refresh', 'median_ms'), 1, 3)
    row(f'VmRSS growth for {A_.sessions} sessions used once each (MiB)', ('sessions', 'rss_delta_kb'), 1 / 1024, 2)


def sess_targets(m, extra, who):
    """Issue 10's targets: [(name, value, bound, ok, text)]."""
    T = []
    cr = extra.get('crypto', {}).get('rsa2048')
    sig = cr['sign_us'] / 1000 if cr else None
    for key, fkey, label in (('silent', 'get', 'silent re-authorization'), ('refresh', 'refresh', 'token refresh')):
        v, fl = m(who, key, 'median_ms'), m('floor', 'sess_floor', fkey, 'median_ms')
        if v and fl and sig:
            b = sig + fl
            T.append((f'{label} median within 1.5 x (RS256 signature + floor request)', v / b, f'<= 1.5 x {b:.3f} ms',
                      v <= 1.5 * b, f'{v:.3f} ms = {v / b:.2f} x ({sig:.3f} + {fl:.3f}) ms'))
    d = m(who, 'sessions', 'rss_delta_kb')
    if d is not None:
        T.append((f'{A.sessions} sessions used: at most 1 MiB more', d, '<= 1024 kB', d <= 1024, f'{d:+.0f} kB'))
    return T


def sess_cpu_targets(m, extra, who):
    """The same ratios in server CPU: [(name, ok, value, bound)]."""
    T = []
    cr = extra.get('crypto', {}).get('rsa2048')
    for key, fkey, label in (('silent', 'get', 'silent re-authorization'), ('refresh', 'refresh', 'token refresh')):
        v, fl = m(who, key, 'server_cpu_us_per_req'), m('floor', 'sess_floor', fkey, 'server_cpu_us_per_req')
        if v and fl is not None and cr:
            b = cr['sign_us'] + fl
            T.append((f'{label} CPU vs (RS256 signature + floor request CPU)', v <= 1.5 * b,
                      f'{v:.0f} µs = {v / b:.2f} x ({cr["sign_us"]:.0f} + {fl:.0f}) µs', '<= 1.5'))
    return T
# ---------------------------------------------------------------- forward auth (gate)
# Forward auth's check of a valid session is on the path of every request of
# every guarded app: measured in the same run as the floor, with wrk at the
# same settings as discovery. Its own plex-oidc process (the same binary,
# the same data_dir and key ring) with one guarded app; the issuer is
# http://localhost (loopback, so http is allowed) for cookie_domain
# "localhost". Phases: a real sign-in through forward auth's login page
# (the fake plex.tv approves) for the cookie wrk sends; wrk on discovery
# and on /forward-auth; then, on a fresh process, RSS before and after
# GATE_SESSIONS distinct sessions (bench/gate/mint_sessions.c seals them with
# the ring, as a sign-in would) have each been checked, twice.
GATE_PORT = 18095
GATE_HOST = 'app.localhost'
GATE_COOKIE = 'plexoidc_gate'


def gate_conf(path, data_dir, fake_port, level):
    open(path, 'w').write(f"""; plex-oidc forward-auth benchmark configuration (written by bench/bench.py)
[server]
listen = 127.0.0.1:{GATE_PORT}
issuer = http://localhost:{GATE_PORT}
data_dir = {data_dir}
log_level = {level}
trusted_proxies = 127.0.0.1
cookie_domain = localhost
[plex]
server_id = {SERVER_ID}
api_url = http://127.0.0.1:{fake_port}
auth_url = http://127.0.0.1:{fake_port}/auth
[app.bench]
hosts = {GATE_HOST}
""")


def gate_peer(fake_port):
    po_dir = os.path.join(SCR, 'plex-oidc')
    conf = os.path.join(po_dir, 'plex-oidc-gate.ini')
    return dict(port=GATE_PORT, cmd=[A.bin, '--config', conf], disc='/.well-known/openid-configuration',
                prep=lambda: gate_conf(conf, os.path.join(po_dir, 'data'), fake_port, A.log_level), binary=A.bin)


def gate_headers(cookie):
    """What a proxy sends /forward-auth for one request of the app."""
    return {'X-Forwarded-Method': 'GET', 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': GATE_HOST,
            'X-Forwarded-Uri': '/static/app.js?v=3', 'Cookie': f'{GATE_COOKIE}={cookie}'}


def gate_login(fake_port):
    """One sign-in through /forward-auth/login as a browser does it (the fake
    plex.tv approves alice): the forward-auth cookie it sets."""
    c = Client('127.0.0.1', GATE_PORT)
    fake = Client('127.0.0.1', fake_port)
    try:
        rd = urllib.parse.quote(f'http://{GATE_HOST}:9/static/app.js?v=3', safe='')
        st, h, b = c.request('GET', f'/forward-auth/login?rd={rd}')
        m = re.search(rb'data-login-id="([^"]+)"', b)
        assert st == 200 and m, ('forward-auth/login', st, b[:300])
        lid = m.group(1).decode()
        st, h, b = c.request('GET', '/login/start?l=' + lid)
        assert st == 302, ('login/start', st, b[:300])
        pin = urllib.parse.parse_qs(urllib.parse.urlsplit(h['location']).fragment.lstrip('?'))['code'][0]
        st, _, b = fake.request('POST', '/__fake/approve', js={'code': pin, 'user': 'alice'})
        assert st == 200, ('fake approve', st, b[:300])
        deadline = time.monotonic() + 30
        while json.loads(c.request('GET', '/login/status?l=' + lid)[2])['state'] != 'done':
            assert time.monotonic() < deadline, 'gate sign-in: no outcome'
            time.sleep(0.5)
        st, h, b = c.request('GET', '/login/finish?l=' + lid)
        assert st == 302 and GATE_COOKIE in c.cookies, ('login/finish', st, h, b[:300])
        return c.cookies[GATE_COOKIE]
    finally:
        c.close()
        fake.close()


def gate_wrk(pid, url, headers):
    """run_wrk with request headers (the same -t/-c/-d as discovery)."""
    cmd = ['wrk', f'-t{A.wrk_threads}', f'-c{A.wrk_conns}', f'-d{A.wrk_duration}s', '--latency']
    for k, v in headers.items():
        cmd += ['-H', f'{k}: {v}']
    s = Sampler(pid)
    cpu0 = proc_cpu_s(pid)
    s.start()
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=A.wrk_duration + 60).stdout
    s.stop()
    cpu1 = proc_cpu_s(pid)
    r = parse_wrk(out)
    r.update(cmd=' '.join(cmd[:5] + ['-H ...', url]), max_rss_kb=s.max_rss, server_cpu_s=round(cpu1 - cpu0, 3))
    if r.get('requests'):
        r['server_cpu_us_per_req'] = round((cpu1 - cpu0) * 1e6 / r['requests'], 2)
    if r['non2xx'] or r['socket_errors']:
        log(f'  wrk {url}: non-2xx {r["non2xx"]}, socket errors {r["socket_errors"]!r}')
    return r


def gate_check_all(cookies, conc=8):
    """Each cookie sent to /forward-auth once, from conc keep-alive clients.
    Returns the answers' status counts."""
    stats = {}
    lock = threading.Lock()

    def worker(k):
        c = Client('127.0.0.1', GATE_PORT)
        mine = {}
        try:
            for i in range(k, len(cookies), conc):
                st, _, _ = c.request('GET', '/forward-auth', headers=gate_headers(cookies[i]), send_cookies=False)
                mine[st] = mine.get(st, 0) + 1
        finally:
            c.close()
            with lock:
                for st, n in mine.items():
                    stats[str(st)] = stats.get(str(st), 0) + n
    th = [threading.Thread(target=worker, args=(k,)) for k in range(conc)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    return stats


def gate_sessions_rss(pid, warm, cookies):
    """RSS of a fresh process before and after every session was checked
    (twice: the second pass shows whether memory keeps growing). warm:
    other sessions, checked first so every code path has run once."""
    gate_check_all(warm)
    time.sleep(1)
    s0 = proc_status(pid)
    t0 = time.perf_counter()
    first = gate_check_all(cookies)
    wall = time.perf_counter() - t0
    time.sleep(1)
    s1 = proc_status(pid)
    second = gate_check_all(cookies)
    time.sleep(1)
    s2 = proc_status(pid)
    return {'n': len(cookies), 'wall_s': round(wall, 2), 'status_first': first, 'status_second': second,
            'rss_before_kb': s0.get('VmRSS'), 'rss_after_kb': s1.get('VmRSS'), 'rss_after2_kb': s2.get('VmRSS'),
            'rss_delta_kb': s1.get('VmRSS', 0) - s0.get('VmRSS', 0),
            'rss_delta2_kb': s2.get('VmRSS', 0) - s0.get('VmRSS', 0),
            'anon_delta_kb': s1.get('RssAnon', 0) - s0.get('RssAnon', 0)}


def gate_bench(P, outdir, rep):
    """The forward-auth phases of one repetition (see above)."""
    fake_port = P['plex-oidc']['fake_port']
    peer = gate_peer(fake_port)
    r = {'peer': 'plex-oidc-gate', 'rep': rep}
    p, r['startup_ms'] = launch('plex-oidc-gate', peer, outdir, rep)
    fp = None
    try:
        cookie = gate_login(fake_port)
        base = f'http://127.0.0.1:{GATE_PORT}'
        c = Client('127.0.0.1', GATE_PORT)
        st, h, _ = c.request('GET', '/forward-auth', headers=gate_headers(cookie), send_cookies=False)
        c.close()
        assert st == 200 and h.get('remote-user') == 'alice', ('forward-auth', st, h)
        r['wrk_discovery'] = run_wrk(p.pid, base + peer['disc'])
        if 'floor' in P:
            # The floor beside it (idle while plex-oidc is measured): its
            # discovery just before and just after the forward-auth run, so
            # that the target's two figures share the machine's state of
            # that minute (on a shared machine, a figure from the floor's
            # own phase minutes away can differ by 15 %).
            fp, _ = launch('floor', P['floor'], outdir, rep, tag='-gate')
            time.sleep(1)
            floor_disc = f'http://127.0.0.1:{P["floor"]["port"]}{P["floor"]["disc"]}'
            r['wrk_floor_before'] = run_wrk(fp.pid, floor_disc)
        time.sleep(1)
        r['wrk_forward_auth'] = gate_wrk(p.pid, base + '/forward-auth', gate_headers(cookie))
        if fp is not None:
            r['wrk_floor_after'] = run_wrk(fp.pid, floor_disc)
            # The floor answering the same request: the proxy's headers and
            # a cookie of the same size, with its fixed body (reported).
            r['wrk_floor_same'] = gate_wrk(fp.pid, f'http://127.0.0.1:{P["floor"]["port"]}/forward-auth',
                                           gate_headers('x' * len(cookie)))
            pair = [x.get('rps') for x in (r['wrk_floor_before'], r['wrk_floor_after'])]
            if all(pair) and r['wrk_forward_auth'].get('rps'):
                r['floor_paired_rps'] = sum(pair) / 2
                r['fa_vs_floor_paired'] = r['wrk_forward_auth']['rps'] / r['floor_paired_rps']
    finally:
        stop(p)
        if fp is not None:
            stop(fp)
    out = subprocess.run([A.gate_mint, os.path.join(SCR, 'plex-oidc', 'data'), f'http://localhost:{GATE_PORT}',
                          str(A.gate_sessions + 64)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, ('mint_sessions', out.stderr[:300])
    cookies = out.stdout.split()
    assert len(cookies) == A.gate_sessions + 64, ('mint_sessions', len(cookies))
    p, _ = launch('plex-oidc-gate', peer, outdir, rep, tag='-sessions')
    try:
        time.sleep(2)
        r['sessions'] = gate_sessions_rss(p.pid, cookies[:64], cookies[64:])
    finally:
        stop(p)
    fa = r['wrk_forward_auth']
    paired = f', {r["fa_vs_floor_paired"]:.2f} x the floor beside it' if 'fa_vs_floor_paired' in r else ''
    log(f'rep {rep} forward auth: {fa.get("rps") or 0:.0f} req/s{paired} ({fa.get("server_cpu_us_per_req")} µs CPU/req), '
        f'{A.gate_sessions} sessions: RSS {r["sessions"]["rss_delta_kb"]:+d} kB, '
        f'then {r["sessions"]["rss_delta2_kb"]:+d} kB after a second pass')
    return r


def gate_summary(results):
    """The forward-auth table and its targets (lines of summary.md)."""
    rows = [r for r in results if r['peer'] == 'plex-oidc-gate']
    floor = [r for r in results if r['peer'] == 'floor']
    if not rows:
        return [], []
    fa, fl = med(rows, 'wrk_forward_auth', 'rps'), med(floor, 'wrk_discovery', 'rps')
    fc, flc = med(rows, 'wrk_forward_auth', 'server_cpu_us_per_req'), med(floor, 'wrk_discovery', 'server_cpu_us_per_req')
    d1, d2 = med(rows, 'sessions', 'rss_delta_kb'), med(rows, 'sessions', 'rss_delta2_kb')
    L = ['| forward auth (`/forward-auth`, a valid session) | plex-oidc-gate |', '|---|---|',
         f'| req/s (wrk, as discovery) | {fmt(fa, 1, 0)} |',
         f'| p50 / p99 (ms) | {fmt(med(rows, "wrk_forward_auth", "p50_ms"), 1, 2, False)} / '
         f'{fmt(med(rows, "wrk_forward_auth", "p99_ms"), 1, 2, False)} |',
         f'| server CPU (µs/req) | {fmt(fc, 1, 1)} |',
         f'| discovery of the same process, req/s | {fmt(med(rows, "wrk_discovery", "rps"), 1, 0)} |',
         f'| the floor\'s discovery just before and after, req/s | {fmt(med(rows, "floor_paired_rps"), 1, 0)} |',
         f'| the floor answering the same request (its headers, a cookie of the size), req/s | '
         f'{fmt(med(rows, "wrk_floor_same", "rps"), 1, 0)} |',
         f'| VmRSS of a fresh process before {A.gate_sessions} sessions (MiB) | '
         f'{fmt(med(rows, "sessions", "rss_before_kb"), 1 / 1024, 2)} |',
         f'| VmRSS growth after each was checked once / twice (kB) | {fmt(d1, 1, 0)} / {fmt(d2, 1, 0)} |',
         f'| answers (first pass) | {rows[0].get("sessions", {}).get("status_first")} |', '']
    T = []
    pr, pf = med(rows, 'fa_vs_floor_paired'), med(rows, 'floor_paired_rps')
    if pr and pf:
        T.append({'name': '/forward-auth req/s >= 80 % of the floor (its discovery, measured just before and after)',
                  'value': f'{pr[0]:.2f} x (median of {pr[3]}: {pr[1]:.2f}-{pr[2]:.2f}; the floor {pf[0]:.0f} req/s)',
                  'bound': '>= 0.80 x floor', 'result': 'PASS' if pr[0] >= 0.8 else 'MISS', 'raw': pr[0]})
    if fa and fl:
        T.append({'name': '/forward-auth req/s vs the floor\'s discovery in its own phase (reported)',
                  'value': f'{fa[0]:.0f} = {fa[0] / fl[0]:.2f} x {fl[0]:.0f}', 'bound': '–', 'result': 'n/a',
                  'raw': fa[0] / fl[0]})
    fs = med(rows, 'wrk_floor_same', 'rps')
    if fa and fs:
        T.append({'name': '/forward-auth req/s vs the floor answering the same request (reported)',
                  'value': f'{fa[0]:.0f} = {fa[0] / fs[0]:.2f} x {fs[0]:.0f}', 'bound': '–', 'result': 'n/a',
                  'raw': fa[0] / fs[0]})
    if fc and flc:
        T.append({'name': '/forward-auth: requests per CPU-second vs the floor (reported)',
                  'value': f'{fc[0]:.1f} µs/req: {flc[0] / fc[0]:.2f} x the floor\'s rate ({flc[0]:.1f} µs/req)',
                  'bound': '–', 'result': 'n/a', 'raw': flc[0] / fc[0]})
    if d1 and d2:
        ok = max(d1[2], d2[2]) <= 1024 and all(
            r.get('sessions', {}).get('status_first', {}) == {'200': A.gate_sessions} for r in rows)
        T.append({'name': f'VmRSS after {A.gate_sessions} distinct sessions checked (twice): at most +1 MiB',
                  'value': f'{max(d1[2], d2[2]):+.0f} kB (the largest of every repetition)', 'bound': '<= +1024 kB',
                  'result': 'PASS' if ok else 'MISS', 'raw': max(d1[2], d2[2])})
    L += ['| target | plex-oidc-gate | bound | result |', '|---|---|---|---|']
    L += [f'| {t["name"]} | {t["value"]} | {t["bound"]} | **{t["result"]}** |' for t in T]
    L.append('')
    return L, T


# ---------------------------------------------------------------- providers
def po_conf(path, port, data_dir, fake_port, level, secret, store=None):
    store_section = ''.join([f'[store]\n'] + [f'{k} = {v}\n' for k, v in store.items()]) if store else ''
    open(path, 'w').write(f"""; plex-oidc benchmark configuration (written by bench/bench.py)
[server]
listen = 127.0.0.1:{port}
issuer = http://127.0.0.1:{port}
data_dir = {data_dir}
log_level = {level}
trusted_proxies = 127.0.0.1
[plex]
server_id = {SERVER_ID}
api_url = http://127.0.0.1:{fake_port}
auth_url = http://127.0.0.1:{fake_port}/auth
{store_section}[client.{CLIENT_ID}]
secret = {secret}
redirect_uris = {REDIRECT_URI}
""")


REDIS_PORT = 18090


def start_redis(outdir):
    """A private redis-server on 127.0.0.1:REDIS_PORT for plex-oidc-redis:
    its own configuration in SCR/redis, a password, no persistence.
    Returns (Popen, password file)."""
    d = os.path.join(SCR, 'redis')
    os.makedirs(d, exist_ok=True)
    if port_busy(REDIS_PORT):
        raise RuntimeError(f'127.0.0.1:{REDIS_PORT} already in use; stop that process first')
    pw = secrets.token_urlsafe(24)
    pwfile = os.path.join(d, 'redis.password')
    with open(os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
        f.write(pw + '\n')
    conf = os.path.join(d, 'redis.conf')
    with open(os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
        f.write(f'bind 127.0.0.1\nport {REDIS_PORT}\ndir {d}\nsave ""\nappendonly no\ndaemonize no\n'
                f'requirepass {pw}\n')
    p = start_proc('redis-server', ['redis-server', conf], logpath=os.path.join(outdir, 'logs', 'redis.log'))
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        r = subprocess.run(['redis-cli', '-p', str(REDIS_PORT), 'PING'], capture_output=True, text=True,
                           env=dict(os.environ, REDISCLI_AUTH=pw))
        if r.stdout.strip() == 'PONG':
            return p, pwfile
        time.sleep(0.05)
    raise RuntimeError('redis-server did not answer')


def providers(fake_port, secret):
    gdir = os.path.join(SCR, 'glewlwyd')
    prov_db = os.path.join(gdir, 'prov', 'glewlwyd.db')
    run_dir = os.path.join(gdir, 'run')
    po_dir = os.path.join(SCR, 'plex-oidc')
    node_dir = os.path.join(SCR, 'node')

    def prep_glewlwyd():
        os.makedirs(run_dir, exist_ok=True)
        shutil.copyfile(prov_db, os.path.join(run_dir, 'glewlwyd.db'))
        gprov.write_conf(run_dir, 4593)

    def prep_po(level, port, name, store=None):
        def f():
            po_conf(os.path.join(po_dir, f'{name}.ini'), port, os.path.join(po_dir, 'data'), fake_port, level, secret,
                    store)
        return f
    redis_store = {'url': f'redis://127.0.0.1:{REDIS_PORT}/0',
                   'password_file': os.path.join(SCR, 'redis', 'redis.password')}
    disc = '/.well-known/openid-configuration'
    return {
        'plex-oidc': dict(port=18080, cmd=[A.bin, '--config', os.path.join(po_dir, 'plex-oidc.ini')],
                          prep=prep_po(A.log_level, 18080, 'plex-oidc'), disc=disc, jwks='/jwks',
                          token_path='/token', secret=secret, mint=po_codes, login=po_login,
                          pending_path=po_pending_path, fake_port=fake_port, batch=A.batch, xff=A.xff,
                          plex_wait=('login/start',), pending_probe=True, authorize_path=po_pending_path,
                          binary=A.bin),
        # the same binary with [store] on a loopback Redis (replicas):
        # no pending-logins phase (they are in Redis, not in its memory)
        'plex-oidc-redis': dict(port=18086, cmd=[A.bin, '--config', os.path.join(po_dir, 'plex-oidc-redis.ini')],
                                prep=prep_po(A.log_level, 18086, 'plex-oidc-redis', redis_store), disc=disc,
                                jwks='/jwks', token_path='/token', secret=secret, mint=po_codes, login=po_login,
                                fake_port=fake_port, batch=A.batch, xff=A.xff, plex_wait=('login/start',),
                                authorize_path=po_pending_path, binary=A.bin),
        # a second build (patched) measured the same way, same config and key
        'candidate': dict(port=18085, cmd=[getattr(A, 'candidate', None) or '-', '--config', os.path.join(po_dir, 'candidate.ini')],
                          prep=prep_po(A.log_level, 18085, 'candidate'), disc=disc, jwks='/jwks',
                          token_path='/token', secret=secret, mint=po_codes, login=po_login,
                          pending_path=po_pending_path, fake_port=fake_port, batch=A.batch, xff=A.xff,
                          plex_wait=('login/start',), pending_probe=True, binary=getattr(A, 'candidate', None)),
        # the same binary logging every request at info level (to a file):
        # what the default logging costs on discovery
        'plex-oidc-info': dict(port=18084, cmd=[A.bin, '--config', os.path.join(po_dir, 'plex-oidc-info.ini')],
                               prep=prep_po('info', 18084, 'plex-oidc-info'), disc=disc, jwks=None,
                               fake_port=fake_port, binary=A.bin, keep_log=True),
        'floor': dict(port=18081, cmd=[A.floor_bin, '18081', '2'], disc=disc, jwks='/jwks', post_floor=True,
                      binary=A.floor_bin),
        'stack-floor': dict(port=18082, cmd=[A.stack_bin, '18082', os.path.join(po_dir, 'stack-floor-key.pem'), '2'],
                            prep=lambda: stack_floor_key(po_dir), disc='/', idle_only=True, binary=A.stack_bin),
        'glewlwyd': dict(port=4593, cmd=['glewlwyd', '-c', os.path.join(run_dir, 'glewlwyd.conf')],
                         prep=prep_glewlwyd, disc='/api/oidc/.well-known/openid-configuration',
                         jwks='/api/oidc/jwks', token_path='/api/oidc/token', secret=PEER_SECRET,
                         mint=codes_glewlwyd, login=glewlwyd_login,
                         # sqlite: concurrent logins fail with SQLITE_BUSY
                         # ("Error executing sql query"), so one at a time
                         login_conc=1,
                         pending_path=lambda i: '/api/oidc/auth?' + AUTHQ(f'p{i}', 'openid'),
                         binary=shutil.which('glewlwyd')),
        'oidc-provider': dict(port=3000, cmd=['node', os.path.join(node_dir, 'provider.mjs')], cwd=node_dir,
                              env={'PORT': '3000', 'JWK_FILE': A.jwk}, disc=disc, jwks='/jwks',
                              token_path='/token', secret=PEER_SECRET, mint=codes_oidcp, login=oidcp_login,
                              login_conc=1,   # CPU-bound logins: in parallel they would only queue
                              pending_path=lambda i: '/auth?' + AUTHQ(f'p{i}'),
                              binary=os.path.realpath(shutil.which('node'))),
    }


def stack_floor_key(po_dir):
    """The stack floor loads the same RSA key as plex-oidc: the current
    RS256 key of its key ring (data_dir/keyring.json), as a PEM file."""
    ring = json.load(open(os.path.join(po_dir, 'data', 'keyring.json')))
    pem = next(k['pem'] for k in ring['signing'] if k['alg'] == 'RS256' and k['role'] == 'current')
    with open(os.open(os.path.join(po_dir, 'stack-floor-key.pem'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as f:
        f.write(pem)


def launch(name, peer, outdir, rep, tag=''):
    if port_busy(peer['port']):
        raise RuntimeError(f'127.0.0.1:{peer["port"]} already in use; stop that process first')
    if peer.get('prep'):
        peer['prep']()
    logpath = os.path.join(outdir, 'logs', f'{name}{tag}.rep{rep}.log')
    t0 = time.perf_counter()
    p = start_proc(name, peer['cmd'], env=peer.get('env'), cwd=peer.get('cwd'), logpath=logpath)
    t1 = wait_ready(peer['port'], peer['disc'], t0 + 60, p)
    peer['last_start_cpu_ms'] = proc_cpu_ns_tasks(p.pid) / 1e6   # includes answering the first request
    return p, (t1 - t0) * 1000


def load_phases(name, peer, p, r):
    base = f'http://127.0.0.1:{peer["port"]}'
    pid = p.pid

    def phase(key, fn, *a):
        """Runs one phase; a failure is recorded and the next phase runs."""
        try:
            r[key] = fn(*a)
        except Exception as e:     # noqa: BLE001 - reported, not fatal
            log(f'  {name} {key} FAILED: {e!r}'[:600])
            r.setdefault('errors', {})[key] = repr(e)[:600]
    sess_prepare(name, peer, phase)    # sessions (issue 10)
    phase('wrk_discovery', run_wrk, pid, base + peer['disc'])
    if peer.get('jwks'):
        time.sleep(1)
        phase('wrk_jwks', run_wrk, pid, base + peer['jwks'])
    if peer.get('post_floor') and A.tokens > 0:
        time.sleep(0.5)
        phase('post_floor', floor_post, peer, pid, A.tokens)
    if peer.get('authorize_path') and A.tokens > 0:
        time.sleep(0.5)
        phase('authorize', authorize_seq, peer, pid, A.tokens)
    if peer.get('token_path') and A.tokens > 0:
        time.sleep(1)
        phase('token', token_seq, peer, pid, A.tokens)
        if A.token_conc > 1:
            time.sleep(0.5)
            phase('token_conc', token_conc, peer, pid, A.tokens, A.token_conc)
    if peer.get('login') and A.logins > 0:
        time.sleep(0.5)
        phase('login', login_bench, peer, pid, A.logins, peer.get('login_conc', A.login_conc))
    sess_load_phases(name, peer, p, r, phase)    # sessions (issue 10)
    s = proc_status(pid)
    r['rss_loaded_kb'], r['anon_loaded_kb'], r['hwm_loaded_kb'] = s.get('VmRSS'), s.get('RssAnon'), s.get('VmHWM')
    r['peak_rss_kb'] = max([r.get(k, {}).get('max_rss_kb', 0) for k in
                            ('wrk_discovery', 'wrk_jwks', 'token', 'token_conc', 'login')] + [s.get('VmHWM', 0)])


def one_rep(P, names, outdir, rep, sink):
    """One repetition; every result dict is also appended to sink at once,
    so a failure keeps what was measured."""
    results = {}
    procs = {}
    try:
        # 1. start everything, one at a time (startup timed alone)
        for name in names:
            peer = P[name]
            p, ms = launch(name, peer, outdir, rep)
            procs[name] = (p, time.monotonic())
            s = proc_status(p.pid)
            results[name] = {'peer': name, 'rep': rep, 'startup_ms': ms, 'startup_cpu_ms': peer['last_start_cpu_ms'],
                             'loadavg_start': loadavg(), 'rss_start_kb': s.get('VmRSS'),
                             'anon_start_kb': s.get('RssAnon'), 'threads_start': s.get('Threads')}
            sink.append(results[name])
            log(f'rep {rep} {name}: up in {ms:.1f} ms ({peer["last_start_cpu_ms"]:.1f} ms CPU), VmRSS {s.get("VmRSS")} kB, RssAnon {s.get("RssAnon")} kB')
        # 2. all idle for IDLE seconds (each measured IDLE s after its own start)
        for name in names:
            p, t_up = procs[name]
            wait = t_up + A.idle - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            s = proc_status(p.pid)
            libs = shared_objects(p.pid)
            results[name].update(rss_idle_kb=s.get('VmRSS'), anon_idle_kb=s.get('RssAnon'),
                                 file_idle_kb=s.get('RssFile'), hwm_idle_kb=s.get('VmHWM'),
                                 threads_idle=s.get('Threads'), shared_objects=len(libs), shared_object_list=libs)
        log(f'rep {rep} idle: ' + ', '.join(f'{n} {results[n]["rss_idle_kb"]} kB (anon {results[n]["anon_idle_kb"]})'
                                            for n in names))
        for name in names:
            if P[name].get('idle_only'):
                stop(procs.pop(name)[0])
        # 3. load, one provider at a time; the others wait idle
        for name in names:
            if name not in procs:
                continue
            p = procs[name][0]
            log(f'rep {rep} {name}: load phases')
            load_phases(name, P[name], p, results[name])
            stop(procs.pop(name)[0])
            results[name]['exit_code'] = p.returncode
            # pending logins: on a fresh process, so that memory freed by
            # the load phases cannot hide what the pending logins take
            if P[name].get('pending_path') and A.pending > 0:
                p2, _ = launch(name, P[name], outdir, rep, tag='-pending')
                procs[name] = (p2, time.monotonic())
                try:
                    results[name]['pending'] = pending_bench(P[name], p2.pid, A.pending)
                except Exception as e:     # noqa: BLE001 - reported, not fatal
                    log(f'  {name} pending FAILED: {e!r}'[:600])
                    results[name].setdefault('errors', {})['pending'] = repr(e)[:600]
                stop(procs.pop(name)[0])
            sess_memory_phase(name, P, outdir, rep, results, procs)    # sessions (issue 10)
            results[name]['loadavg_end'] = loadavg()
            brief = {k: results[name].get(k) for k in ('startup_ms', 'rss_idle_kb', 'anon_idle_kb', 'peak_rss_kb')}
            brief['disc_rps'] = results[name].get('wrk_discovery', {}).get('rps')
            brief['jwks_rps'] = results[name].get('wrk_jwks', {}).get('rps')
            brief['tok_med_ms'] = results[name].get('token', {}).get('median_ms')
            brief['login_cpu_ms'] = results[name].get('login', {}).get('server_cpu_ms_per_login')
            brief['pending_delta_kb'] = results[name].get('pending', {}).get('rss_delta_kb')
            log(f'rep {rep} {name}: ' + json.dumps(brief))
        # 4. plex-oidc at the default log level: discovery only
        if 'plex-oidc' in names and A.info_variant:
            peer = P['plex-oidc-info']
            p, ms = launch('plex-oidc-info', peer, outdir, rep)
            r = {'peer': 'plex-oidc-info', 'rep': rep, 'startup_ms': ms}
            r['wrk_discovery'] = run_wrk(p.pid, f'http://127.0.0.1:{peer["port"]}{peer["disc"]}')
            stop(p)
            logp = os.path.join(outdir, 'logs', f'plex-oidc-info.rep{rep}.log')
            r['log_bytes'] = os.path.getsize(logp)
            os.unlink(logp)          # ~100 B per request: do not keep it
            results['plex-oidc-info'] = r
            sink.append(r)
            log(f'rep {rep} plex-oidc-info: discovery {r["wrk_discovery"]["rps"]:.0f} req/s')
        # 5. forward auth (the "forward auth (gate)" section above)
        if 'plex-oidc' in names and A.gate_mint:
            r = gate_bench(P, outdir, rep)
            results['plex-oidc-gate'] = r
            sink.append(r)
    finally:
        for p, _ in procs.values():
            stop(p)


def keygen_starts(P, outdir, n):
    """First starts of plex-oidc with an empty data_dir: RSA key generation
    included. The last one leaves the key that every later start loads."""
    peer = P['plex-oidc']
    data = os.path.join(SCR, 'plex-oidc', 'data')
    out = []
    for k in range(n):
        shutil.rmtree(data, ignore_errors=True)
        p, ms = launch('plex-oidc', peer, outdir, k + 1, tag='-keygen')
        stop(p)
        out.append(ms)
        log(f'first start {k + 1}/{n} (key generation): {ms:.1f} ms ({peer["last_start_cpu_ms"]:.1f} ms CPU)')
    return out


# ---------------------------------------------------------------- hashed client secrets
# `bench.py secret-hash OUTDIR --bin B` (bench/run's "hashed client secrets"
# section), apart from the comparison above: what [client.ID] secret_hash
# costs a token request (docs/SECURITY.md, "Hashed client secrets"). Two
# plex-oidc instances, the same client "bench" with its secret inline
# (SH_PLAIN_PORT) and as a hash (SH_HASHED_PORT), against one fake plex.tv:
#   hash_secret   wall time of `plex-oidc hash-secret` (a process and one scrypt)
#   wrong         sequential token requests with a wrong secret (never
#                 remembered: scrypt every time): latency and server CPU
#   right         sequential code exchanges with the right secret: the first
#                 after start pays scrypt, the others the remembered HMAC
#   flood         SH_FLOOD_CONC threads sending wrong secrets as fast as they
#                 can for --flood-seconds while another fetches discovery every
#                 50 ms: how many got 503 (scrypt busy), the server's CPU, and
#                 what discovery's latency became meanwhile
SH_PLAIN_PORT = 18088
SH_HASHED_PORT = 18089
SH_FLOOD_CONC = 4
SH_MINT_BATCH = 50   # codes live 60 s: mint them a few dozen at a time


def sh_wrong(port, pid, n):
    """n token requests with a wrong secret, one keep-alive connection."""
    c = Client('127.0.0.1', port)
    c.request('GET', '/.well-known/openid-configuration')
    lat = []
    cpu0 = proc_cpu_s(pid)
    for i in range(n):
        t = time.perf_counter()
        st, _, _ = c.request('POST', '/token', basic=(CLIENT_ID, 'w' * 40), form=token_form('x' * 43),
                             headers={'X-Forwarded-For': xff(next_login_no())})
        lat.append((time.perf_counter() - t) * 1000)
        assert st == 401, ('wrong secret', st)
    cpu = proc_cpu_s(pid) - cpu0
    c.close()
    return {'n': n, 'median_ms': statistics.median(lat), 'p99_ms': pct(lat, 99),
            'server_cpu_ms_per_req': round(cpu * 1e3 / n, 2)}


def sh_right(peer, pid, n):
    """n code exchanges with the right secret, the first one after start.
    Codes are minted in batches (they live 60 s); minting is not timed."""
    lat, cpu, left = [], 0.0, n
    while left > 0:
        codes = po_codes(peer, min(left, SH_MINT_BATCH))
        c = Client('127.0.0.1', peer['port'])
        c.request('GET', '/.well-known/openid-configuration')
        cpu0 = proc_cpu_s(pid)
        for code in codes:
            t = time.perf_counter()
            st, _, b = c.request('POST', '/token', basic=(CLIENT_ID, peer['secret']), form=token_form(code),
                                 headers={'X-Forwarded-For': xff(next_login_no())})
            lat.append((time.perf_counter() - t) * 1000)
            assert st == 200 and b'id_token' in b, ('token', st, b[:300])
        cpu += proc_cpu_s(pid) - cpu0
        c.close()
        left -= len(codes)
    return {'n': n, 'first_ms': lat[0], 'median_rest_ms': statistics.median(lat[1:]) if n > 1 else None,
            'p99_rest_ms': pct(lat[1:], 99) if n > 1 else None, 'server_cpu_ms_per_req': round(cpu * 1e3 / n, 3)}


def sh_flood(port, pid, seconds):
    stop_at = time.monotonic() + seconds
    counts = {}
    lock = threading.Lock()

    def attacker(k):
        c = Client('127.0.0.1', port)
        while time.monotonic() < stop_at:
            st, _, _ = c.request('POST', '/token', basic=(CLIENT_ID, 'w' * 40), form=token_form('x' * 43),
                                 headers={'X-Forwarded-For': xff(next_login_no())})
            with lock:
                counts[st] = counts.get(st, 0) + 1
        c.close()

    def probe(out):
        c = Client('127.0.0.1', port)
        while time.monotonic() < stop_at:
            t = time.perf_counter()
            st, _, _ = c.request('GET', '/.well-known/openid-configuration')
            assert st == 200
            out.append((time.perf_counter() - t) * 1000)
            time.sleep(0.05)
        c.close()
    before = []
    c = Client('127.0.0.1', port)
    for _ in range(40):
        t = time.perf_counter()
        c.request('GET', '/.well-known/openid-configuration')
        before.append((time.perf_counter() - t) * 1000)
    c.close()
    during = []
    cpu0, t0 = proc_cpu_s(pid), time.perf_counter()
    th = [threading.Thread(target=attacker, args=(k,)) for k in range(SH_FLOOD_CONC)]
    th.append(threading.Thread(target=probe, args=(during,)))
    for t in th:
        t.start()
    for t in th:
        t.join()
    cpu, wall = proc_cpu_s(pid) - cpu0, time.perf_counter() - t0
    total = sum(counts.values())
    return {'seconds': round(wall, 1), 'requests': total, 'rps': round(total / wall, 1),
            'status': {str(k): v for k, v in sorted(counts.items())},
            'scrypt_per_s': round(counts.get(401, 0) / wall, 1), 'server_cpu_pct': round(cpu * 100 / wall, 1),
            'discovery_before_p50_ms': statistics.median(before), 'discovery_before_p99_ms': pct(before, 99),
            'discovery_during_p50_ms': statistics.median(during) if during else None,
            'discovery_during_p99_ms': pct(during, 99) if during else None}


def secret_hash_main(argv):
    global A, PIDFILE
    ap = argparse.ArgumentParser(prog='bench.py secret-hash')
    ap.add_argument('outdir')
    ap.add_argument('--bin', required=True)
    ap.add_argument('--tokens', type=int, default=200, help='wrong-secret requests and code exchanges, each')
    ap.add_argument('--flood-seconds', type=int, default=5)
    ap.add_argument('--log-level', default='warn')
    ap.add_argument('--pidfile', help="where processes started are listed (bench/run's cleanup); default OUTDIR/pids")
    a = ap.parse_args(argv)
    # what the login drivers above read
    A = argparse.Namespace(xff=True, mint_conc=16, batch=a.tokens)
    os.makedirs(os.path.join(a.outdir, 'logs'), exist_ok=True)
    PIDFILE = a.pidfile or os.path.join(a.outdir, 'pids')
    signal.signal(signal.SIGTERM, lambda s, f: (stop_all(), sys.exit(128 + s)))
    out = {'tokens': a.tokens}
    secret = ''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    hs = []
    for _ in range(5):
        t = time.perf_counter()
        r = subprocess.run([a.bin, 'hash-secret'], input=secret + '\n', capture_output=True, text=True, check=True)
        hs.append((time.perf_counter() - t) * 1000)
    value = r.stdout.strip()
    out['hash_secret_ms'] = statistics.median(hs)
    out['parameters'] = value.split('$')[2]
    d = os.path.join(SCR, 'plex-oidc-secret-hash')
    os.makedirs(d, exist_ok=True)
    try:
        fake = start_proc('fake-plex', ['node', os.path.join(os.path.dirname(HERE), 'tests', 'fake-plex',
                                                             'fake-plex.mjs'), '--port', '0'],
                          logpath=os.path.join(a.outdir, 'logs', 'fake-plex.log'))
        fake_port = None
        for _ in range(500):
            try:
                fake_port = json.loads(open(os.path.join(a.outdir, 'logs', 'fake-plex.log')).readline())['port']
                break
            except (ValueError, KeyError):
                time.sleep(0.02)
        assert fake_port, 'fake plex.tv did not start'
        for name, port in (('plain', SH_PLAIN_PORT), ('hashed', SH_HASHED_PORT)):
            if port_busy(port):
                raise RuntimeError(f'127.0.0.1:{port} already in use; stop that process first')
            conf = os.path.join(d, f'{name}.ini')
            po_conf(conf, port, os.path.join(d, 'data'), fake_port, a.log_level, secret)
            if name == 'hashed':
                text = open(conf).read().replace(f'secret = {secret}\n', f'secret_hash = {value}\n')
                open(conf, 'w').write(text)
            peer = {'port': port, 'fake_port': fake_port, 'secret': secret}
            p = start_proc(f'plex-oidc-{name}', [a.bin, '--config', conf],
                           logpath=os.path.join(a.outdir, 'logs', f'plex-oidc-{name}.log'))
            wait_ready(port, '/.well-known/openid-configuration', time.perf_counter() + 60, p)
            r = {'rss_start_kb': proc_status(p.pid).get('VmRSS')}
            r['right'] = sh_right(peer, p.pid, a.tokens)
            r['wrong'] = sh_wrong(port, p.pid, a.tokens)
            s = proc_status(p.pid)
            r['rss_kb'], r['hwm_kb'] = s.get('VmRSS'), s.get('VmHWM')
            if name == 'hashed':
                r['flood'] = sh_flood(port, p.pid, a.flood_seconds)
                r['flood']['rss_after_kb'] = proc_status(p.pid).get('VmRSS')
            stop(p)
            out[name] = r
            log(f'secret-hash {name}: {json.dumps(r)}')
    finally:
        stop_all()
    json.dump(out, open(os.path.join(a.outdir, 'secret-hash.json'), 'w'), indent=1)
    h, pl = out['hashed'], out['plain']
    f = h['flood']
    md = '\n'.join([
        f'Hashed client secrets ({out["parameters"]}; {a.tokens} requests each, sequential, one connection)',
        '',
        '| | inline secret | secret_hash |',
        '|---|---|---|',
        f'| wrong secret: median / p99 ms | {pl["wrong"]["median_ms"]:.2f} / {pl["wrong"]["p99_ms"]:.2f} | '
        f'{h["wrong"]["median_ms"]:.2f} / {h["wrong"]["p99_ms"]:.2f} |',
        f'| wrong secret: server CPU ms per request | {pl["wrong"]["server_cpu_ms_per_req"]} | '
        f'{h["wrong"]["server_cpu_ms_per_req"]} |',
        f'| first code exchange after start, ms | {pl["right"]["first_ms"]:.2f} | {h["right"]["first_ms"]:.2f} |',
        f'| later code exchanges: median / p99 ms | {pl["right"]["median_rest_ms"]:.2f} / '
        f'{pl["right"]["p99_rest_ms"]:.2f} | {h["right"]["median_rest_ms"]:.2f} / {h["right"]["p99_rest_ms"]:.2f} |',
        f'| VmRSS at start / after these, kB | {pl["rss_start_kb"]} / {pl["rss_kb"]} | '
        f'{h["rss_start_kb"]} / {h["rss_kb"]} |',
        f'| VmHWM after these, kB | {pl["hwm_kb"]} | {h["hwm_kb"]} |',
        '',
        f'`plex-oidc hash-secret`: {out["hash_secret_ms"]:.0f} ms (a process and one scrypt).',
        f'Flood of wrong secrets from {SH_FLOOD_CONC} clients for {f["seconds"]} s: {f["rps"]} req/s answered '
        f'({f["status"]}), {f["scrypt_per_s"]} scrypt/s, server CPU {f["server_cpu_pct"]} %, VmRSS after '
        f'{f["rss_after_kb"]} kB; discovery p50/p99 '
        f'{f["discovery_before_p50_ms"]:.2f}/{f["discovery_before_p99_ms"]:.2f} ms before, '
        f'{f["discovery_during_p50_ms"]:.2f}/{f["discovery_during_p99_ms"]:.2f} ms during.',
        ''])
    open(os.path.join(a.outdir, 'secret-hash.md'), 'w').write(md)
    print(md)


# ---------------------------------------------------------------- summary
def med(rows, *keys):
    vals = []
    for r in rows:
        v = r
        for k in keys:
            v = v.get(k) if isinstance(v, dict) else None
        if isinstance(v, (int, float)):
            vals.append(v)
    return (statistics.median(vals), min(vals), max(vals), len(vals)) if vals else None


def fmt(m, scale=1.0, nd=1, ranges=True):
    if m is None:
        return '–'
    v, lo, hi, n = m
    s = f'{v * scale:,.{nd}f}'.replace(',', ' ')
    if ranges and n > 1 and hi != lo:
        s += f' ({lo * scale:.{nd}f}–{hi * scale:.{nd}f})'
    return s


def binary_info(path):
    if not path or not os.path.exists(path):
        return None
    info = {'path': path, 'bytes': os.path.getsize(path)}
    tmp = os.path.join(SCR, 'stripped.tmp')
    if subprocess.run(['strip', '-o', tmp, path], capture_output=True).returncode == 0:
        info['stripped_bytes'] = os.path.getsize(tmp)
        os.unlink(tmp)
    return info


COLS = ['plex-oidc', 'candidate', 'plex-oidc-redis', 'floor', 'stack-floor', 'glewlwyd', 'oidc-provider']
PEERS = ['glewlwyd', 'oidc-provider']


def summary(results, extra):
    by = {n: [r for r in results if r['peer'] == n] for n in COLS + ['plex-oidc-info']}
    cols = [c for c in COLS if by[c]]
    L = []
    reps = max([r['rep'] for r in results] or [0])
    L.append(f'Medians over {reps} repetition(s){", (min–max) in brackets" if reps > 1 else ""}. '
             f'wrk -t{A.wrk_threads} -c{A.wrk_conns} -d{A.wrk_duration}s --latency; idle wait {A.idle} s; '
             f'{A.tokens} sequential code exchanges, then {min(A.tokens, A.batch)} from '
             f'{A.token_conc} clients; {A.logins} whole logins (plex-oidc: {A.login_conc} browsers in parallel; peers: one at a time); '
             f'{A.pending} pending logins. plex-oidc log_level={A.log_level}. Signatures: RS256 everywhere.')
    L.append('')
    L.append('| metric | ' + ' | '.join(cols) + ' |')
    L.append('|---|' + '---|' * len(cols))
    KB = 1 / 1024

    def row(label, keys, sc=1.0, nd=1, cells=None):
        cs = cells or [fmt(med(by[c], *keys), sc, nd) for c in cols]
        if all(x == '–' for x in cs):
            return
        L.append(f'| {label} | ' + ' | '.join(cs) + ' |')
    kg = extra.get('keygen_ms') or []
    row('startup: exec to first discovery 200 (ms)', ('startup_ms',), 1, 1)
    row('startup: CPU time used until then (ms)', ('startup_cpu_ms',), 1, 1)
    if kg:
        row('first start, RSA-2048 key generation included (ms)', (), cells=[
            fmt((statistics.median(kg), min(kg), max(kg), len(kg)), 1, 0)] + ['–'] * (len(cols) - 1))
    row('VmRSS right after start (MiB)', ('rss_start_kb',), KB, 2)
    row(f'VmRSS after {A.idle} s idle (MiB)', ('rss_idle_kb',), KB, 2)
    row(f'RssAnon after {A.idle} s idle (MiB)', ('anon_idle_kb',), KB, 2)
    row('threads at idle', ('threads_idle',), 1, 0)
    row('shared objects mapped (distinct .so, ld.so included)', ('shared_objects',), 1, 0)
    bi = extra.get('binaries', {})
    row('binary size (KiB, as built / stripped)', (), cells=[
        (f'{bi[c]["bytes"] / 1024:.0f} / {bi[c].get("stripped_bytes", 0) / 1024:.0f}' if bi.get(c) else '–')
        for c in cols])
    row('discovery req/s', ('wrk_discovery', 'rps'), 1, 0)
    row('discovery p50 / p99 (ms)', (), cells=[
        (f'{fmt(med(by[c], "wrk_discovery", "p50_ms"), 1, 2, False)} / '
         f'{fmt(med(by[c], "wrk_discovery", "p99_ms"), 1, 2, False)}' if med(by[c], 'wrk_discovery', 'rps') else '–')
        for c in cols])
    row('discovery server CPU (µs/req)', ('wrk_discovery', 'server_cpu_us_per_req'), 1, 1)
    row('JWKS req/s', ('wrk_jwks', 'rps'), 1, 0)
    row('JWKS p50 / p99 (ms)', (), cells=[
        (f'{fmt(med(by[c], "wrk_jwks", "p50_ms"), 1, 2, False)} / '
         f'{fmt(med(by[c], "wrk_jwks", "p99_ms"), 1, 2, False)}' if med(by[c], 'wrk_jwks', 'rps') else '–')
        for c in cols])
    row('JWKS server CPU (µs/req)', ('wrk_jwks', 'server_cpu_us_per_req'), 1, 1)
    tok = lambda c, k: med(by[c], 'token', k) or med(by[c], 'post_floor', k)  # noqa: E731
    row('token exchange, sequential: median (ms)', (), cells=[fmt(tok(c, 'median_ms'), 1, 3) for c in cols])
    row('token exchange, sequential: p99 (ms)', (), cells=[fmt(tok(c, 'p99_ms'), 1, 3) for c in cols])
    row('token exchange: server CPU (µs/req)', (), cells=[fmt(tok(c, 'server_cpu_us_per_req'), 1, 0) for c in cols])
    row("  Redis's own CPU per token exchange (µs, plex-oidc-redis)", ('token', 'redis_cpu_us_per_req'), 1, 0)
    row(f'token exchange, {A.token_conc} clients: req/s', ('token_conc', 'rps'), 1, 0)
    row(f'token exchange, {A.token_conc} clients: median / p99 (ms)', (), cells=[
        (f'{fmt(med(by[c], "token_conc", "median_ms"), 1, 2, False)} / '
         f'{fmt(med(by[c], "token_conc", "p99_ms"), 1, 2, False)}' if med(by[c], 'token_conc', 'rps') else '–')
        for c in cols])
    row('/authorize (new browser), sequential: median (ms)', ('authorize', 'median_ms'), 1, 3)
    row('/authorize (new browser), sequential: p99 (ms)', ('authorize', 'p99_ms'), 1, 3)
    row('/authorize: server CPU (µs/req)', ('authorize', 'server_cpu_us_per_req'), 1, 0)
    row('whole login: server CPU per login (ms)', ('login', 'server_cpu_ms_per_login'), 1, 3)
    row('whole login: requests to the provider per login', ('login', 'requests_per_login'), 1, 1)
    row('whole login: sum of the provider\'s request latencies (ms)', ('login', 'latency_sum_ms_median'), 1, 2)
    row('  the same without requests that wait for plex.tv (ms)', ('login', 'latency_sum_own_ms_median'), 1, 2)
    row('peak VmRSS under load (MiB)', ('peak_rss_kb',), KB, 2)
    row(f'VmRSS 2 s after a fresh start, before {A.pending} pending logins (MiB)', ('pending', 'rss_before_kb'), KB, 2)
    row(f'VmRSS with {A.pending} logins pending (MiB)', ('pending', 'rss_after_kb'), KB, 2)
    row(f'  VmRSS growth for {A.pending} pending logins (MiB)', ('pending', 'rss_delta_kb'), KB, 2)
    row(f'  RssAnon growth for {A.pending} pending logins (MiB)', ('pending', 'anon_delta_kb'), KB, 2)
    sess_rows(row, A)    # sessions (issue 10)
    row('machine load average (1 min) when started', ('loadavg_start',), 1, 1)
    L.append('')
    cr = extra.get('crypto', {}).get('rsa2048')
    if cr:
        L.append(f'RS256 signing floor (`openssl speed rsa2048`, one core): {cr["sign_per_s"]:.0f} sign/s = '
                 f'{cr["sign_us"]:.0f} µs per signature ({extra["crypto"].get("openssl", "")}).')
    if by['plex-oidc-info']:
        m = med(by['plex-oidc-info'], 'wrk_discovery', 'rps')
        mc = med(by['plex-oidc-info'], 'wrk_discovery', 'server_cpu_us_per_req')
        w = med(by['plex-oidc'], 'wrk_discovery', 'rps')
        L.append(f'plex-oidc with log_level=info (one line per request to a file): discovery {fmt(m, 1, 0)} req/s, '
                 f'{fmt(mc, 1, 1)} µs CPU/req' + (f' ({m[0] / w[0] * 100:.0f} % of log_level={A.log_level}).'
                                                   if m and w else '.'))
    lb = [r['login']['latency_by_request_median_ms'] for r in by['plex-oidc'] if r.get('login')]
    if lb:
        L.append('plex-oidc, median latency of each request during the logins (ms): ' + ', '.join(
            f'{k} {statistics.median([x[k] for x in lb]):.2f}' for k in lb[0]) +
            ' (/login/start waits for the PIN creation at the fake plex.tv).')
    L.append('')
    if by.get('plex-oidc-redis') and by.get('plex-oidc'):
        T = store_targets(by)
        extra['store_targets'] = T
        L.append('| the shared store (Redis on loopback) vs memory, same run | plex-oidc-redis | bound | result |')
        L.append('|---|---|---|---|')
        for t in T:
            L.append(f'| {t["name"]} | {t["value"]} | {t["bound"]} | **{t["result"]}** |')
        L.append('')
    extra['targets'], extra['cpu_view'] = {}, {}
    for who in [w for w in ('plex-oidc', 'candidate') if by.get(w)]:
        T = targets(by, extra, who)
        extra['targets'][who] = T
        L.append(f'| target | {who} | bound | result |')
        L.append('|---|---|---|---|')
        for t in T:
            L.append(f'| {t["name"]} | {t["value"]} | {t["bound"]} | **{t["result"]}** |')
        C = cpu_view(by, extra, who)
        extra['cpu_view'][who] = C
        if C:
            L.append('')
            L.append('The same ratios in server CPU time per request (utime+stime; independent of how busy the '
                     'machine is, since wrk and the other tenants share the same vCPUs):')
            L.append('')
            L.append(f'| ratio (CPU) | {who} | bound | result |')
            L.append('|---|---|---|---|')
            for t in C:
                L.append(f'| {t["name"]} | {t["value"]} | {t["bound"]} | {t["result"]} |')
        L.append('')
    GL, GT = gate_summary(results)
    extra['gate_targets'] = GT
    L.extend(GL)
    return '\n'.join(L) + '\n'


def store_targets(by):
    """plex-oidc with [store] on a loopback Redis against the memory store
    of the same run: the token exchange may cost at most 0.3 ms more
    (median); /authorize and the concurrent rate are reported."""
    T = []

    def m(c, *k):
        x = med(by.get(c, []), *k)
        return x[0] if x else None
    tm, tr = m('plex-oidc', 'token', 'median_ms'), m('plex-oidc-redis', 'token', 'median_ms')
    if tm and tr:
        T.append({'name': 'token exchange median: Redis - memory', 'value': f'{tr:.3f} - {tm:.3f} = {tr - tm:+.3f} ms',
                  'bound': '<= +0.3 ms', 'result': 'PASS' if tr - tm <= 0.3 else 'MISS', 'raw': tr - tm})
    am, ar = m('plex-oidc', 'authorize', 'median_ms'), m('plex-oidc-redis', 'authorize', 'median_ms')
    if am and ar:
        T.append({'name': '/authorize median: Redis - memory (reported)',
                  'value': f'{ar:.3f} - {am:.3f} = {ar - am:+.3f} ms', 'bound': '–', 'result': 'n/a', 'raw': ar - am})
    cm, cr = m('plex-oidc', 'token_conc', 'rps'), m('plex-oidc-redis', 'token_conc', 'rps')
    if cm and cr:
        T.append({'name': f'token exchanges/s, {A.token_conc} clients: Redis / memory (reported)',
                  'value': f'{cr:.0f} / {cm:.0f} = {cr / cm:.2f}', 'bound': '–', 'result': 'n/a', 'raw': cr / cm})
    return T


def targets(by, extra, who='plex-oidc'):
    T = []

    def m(c, *k):
        x = med(by.get(c, []), *k)
        return x[0] if x else None

    def add(name, value, bound, ok, fmt_v):
        T.append({'name': name, 'value': fmt_v, 'bound': bound,
                  'result': 'n/a' if ok is None else ('PASS' if ok else 'MISS'), 'raw': value})
    po_idle, sf_idle = m(who, 'rss_idle_kb'), m('stack-floor', 'rss_idle_kb')
    if po_idle and sf_idle:
        add('idle VmRSS within 15 % of the stack floor', po_idle / sf_idle, '<= 1.15 x stack floor',
            po_idle <= 1.15 * sf_idle, f'{po_idle / 1024:.2f} MiB = {po_idle / sf_idle:.3f} x {sf_idle / 1024:.2f} MiB')
    an = m(who, 'anon_idle_kb')
    if an is not None:
        add('idle RssAnon <= 2 MiB', an, '<= 2048 kB', an <= 2048, f'{an:.0f} kB')
    pd = m(who, 'pending', 'rss_delta_kb')
    if pd is not None:
        ok = pd <= 8192
        pe = by[who][0].get('pending', {})
        sc, alive = pe.get('status_counts', {}), pe.get('oldest_still_pending')
        if sc.get('200', 0) < A.pending or (alive and alive.split('/')[0] != alive.split('/')[1]):
            ok = False      # refused or evicted logins: not 10,000 pending
        add(f'{A.pending} pending logins: at most 8 MiB more', pd, '<= 8192 kB', ok,
            f'+{pd:.0f} kB (answers {sc}; oldest still pending: {alive})')
    for ep, key in (('discovery', 'wrk_discovery'), ('JWKS', 'wrk_jwks')):
        v, fl = m(who, key, 'rps'), m('floor', key, 'rps')
        peers = [x for x in (m(p, key, 'rps') for p in PEERS) if x]
        if v and fl:
            add(f'{ep} req/s >= 80 % of the floor', v / fl, '>= 0.80 x floor', v >= 0.8 * fl,
                f'{v:.0f} = {v / fl:.2f} x {fl:.0f}')
        if v and peers:
            add(f'{ep} req/s >= 2 x the fastest peer', v / max(peers), '>= 2 x fastest peer', v >= 2 * max(peers),
                f'{v:.0f} = {v / max(peers):.2f} x {max(peers):.0f}')
    tm = m(who, 'token', 'median_ms')
    fp = m('floor', 'post_floor', 'median_ms')
    cr = extra.get('crypto', {}).get('rsa2048')
    if tm and fp and cr:
        bound = cr['sign_us'] / 1000 + fp
        add('token median within 1.5 x (RS256 signature + floor request)', tm / bound, f'<= 1.5 x {bound:.3f} ms',
            tm <= 1.5 * bound, f'{tm:.3f} ms = {tm / bound:.2f} x ({cr["sign_us"] / 1000:.3f} + {fp:.3f}) ms')
    peers = [x for x in (m(p, 'token', 'median_ms') for p in PEERS) if x]
    if tm and peers:
        add('token median >= 2 x faster than the fastest peer', min(peers) / tm, '>= 2 x', min(peers) >= 2 * tm,
            f'{tm:.3f} ms vs {min(peers):.3f} ms = {min(peers) / tm:.2f} x faster')
    for t in sess_targets(m, extra, who):    # sessions (issue 10)
        add(*t)
    st = m(who, 'startup_ms')
    if st:
        add('start to first answer < 50 ms (key present)', st, '< 50 ms', st < 50, f'{st:.1f} ms')
    kg = extra.get('keygen_ms')
    if kg:
        add('first start with RSA key generation (reported, no target)', statistics.median(kg), '–', None,
            f'{statistics.median(kg):.0f} ms (min {min(kg):.0f}, max {max(kg):.0f})')
    return T


def cpu_view(by, extra, who='plex-oidc'):
    T = []

    def m(c, *k):
        x = med(by.get(c, []), *k)
        return x[0] if x else None

    def add(name, ok, value, bound):
        T.append({'name': name, 'value': value, 'bound': bound, 'result': 'PASS' if ok else 'MISS'})
    for ep, key in (('discovery', 'wrk_discovery'), ('JWKS', 'wrk_jwks')):
        v, fl = m(who, key, 'server_cpu_us_per_req'), m('floor', key, 'server_cpu_us_per_req')
        peers = [x for x in (m(p, key, 'server_cpu_us_per_req') for p in PEERS) if x]
        if v and fl:
            add(f'{ep}: requests per CPU-second vs the floor', fl / v >= 0.8,
                f'{v:.1f} µs/req: {fl / v:.2f} x the floor\'s rate ({fl:.1f} µs/req)', '>= 0.80')
        if v and peers:
            add(f'{ep}: requests per CPU-second vs the cheapest peer', min(peers) / v >= 2,
                f'{min(peers) / v:.2f} x ({min(peers):.1f} µs/req)', '>= 2')
    tc, fc = m(who, 'token', 'server_cpu_us_per_req'), m('floor', 'post_floor', 'server_cpu_us_per_req')
    cr = extra.get('crypto', {}).get('rsa2048')
    if tc and fc is not None and cr:
        b = cr['sign_us'] + fc
        add('token exchange CPU vs (RS256 signature + floor POST CPU)', tc <= 1.5 * b,
            f'{tc:.0f} µs = {tc / b:.2f} x ({cr["sign_us"]:.0f} + {fc:.0f}) µs', '<= 1.5')
    peers = [x for x in (m(p, 'token', 'server_cpu_us_per_req') for p in PEERS) if x]
    if tc and peers:
        add('token exchange CPU vs the cheapest peer', min(peers) / tc >= 2,
            f'{min(peers) / tc:.2f} x less ({min(peers):.0f} µs)', '>= 2')
    for t in sess_cpu_targets(m, extra, who):    # sessions (issue 10)
        add(*t)
    sc = m(who, 'startup_cpu_ms')
    if sc:
        add('startup CPU until the first answer', sc < 50, f'{sc:.1f} ms', '< 50 ms')
    return T


# ---------------------------------------------------------------- main
def main():
    global A, PIDFILE
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('--bin', required=True)
    ap.add_argument('--floor-bin', required=True)
    ap.add_argument('--stack-bin', required=True)
    ap.add_argument('--jwk', required=True, help='private JWK shared by the peers')
    ap.add_argument('--crypto', help='crypto.json from lib/crypto_speed.py')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--idle', type=int, default=60)
    ap.add_argument('--wrk-duration', type=int, default=10)
    ap.add_argument('--wrk-threads', type=int, default=2)
    ap.add_argument('--wrk-conns', type=int, default=32)
    ap.add_argument('--tokens', type=int, default=300)
    ap.add_argument('--batch', type=int, default=300, help='plex-oidc codes minted per batch (codes live 60 s)')
    ap.add_argument('--mint-conc', type=int, default=64, help='parallel logins when minting plex-oidc codes')
    ap.add_argument('--token-conc', type=int, default=4)
    ap.add_argument('--logins', type=int, default=200)
    ap.add_argument('--login-conc', type=int, default=32,
                    help='parallel plex-oidc logins (each waits ~2 s for the PIN poll); the peers log in one at a time')
    ap.add_argument('--pending', type=int, default=10000)
    ap.add_argument('--keygen-starts', type=int, default=3)
    ap.add_argument('--mint-bin', help='bench/sessions/mint_sessions, built by bench/run (sessions, issue 10)')
    ap.add_argument('--sessions', type=int, default=10000, help='distinct sessions of the memory phase')
    ap.add_argument('--sessions-warm', type=int, default=12000,
                    help='silent re-authorizations before the memory phase (> LIM_CODES_MAX fills the code store)')
    ap.add_argument('--log-level', default='warn', help='plex-oidc log_level for the measured runs')
    ap.add_argument('--no-info-variant', dest='info_variant', action='store_false')
    ap.add_argument('--no-xff', dest='xff', action='store_false')
    ap.add_argument('--providers', default=','.join(c for c in COLS if c != 'candidate'))
    ap.add_argument('--candidate', help='a second plex-oidc binary (a patched build) measured alongside, '
                                        'as provider "candidate"')
    ap.add_argument('--gate-mint', help='bench/gate/mint_sessions, built: measure forward auth (its section)')
    ap.add_argument('--gate-sessions', type=int, default=10000, help='distinct sessions for the forward-auth RSS')
    A = ap.parse_args()
    os.makedirs(os.path.join(A.outdir, 'logs'), exist_ok=True)
    PIDFILE = os.path.join(A.outdir, 'pids')

    def on_sig(signum, frame):
        stop_all()
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, on_sig)
    signal.signal(signal.SIGINT, on_sig)

    names = [n for n in A.providers.split(',') if n]
    if A.candidate and 'candidate' not in names:
        names.insert(names.index('plex-oidc') + 1 if 'plex-oidc' in names else 0, 'candidate')
    extra = {'crypto': json.load(open(A.crypto)) if A.crypto else {}}
    results = []
    try:
        fake = start_proc('fake-plex', ['node', os.path.join(os.path.dirname(HERE), 'tests', 'fake-plex',
                                                             'fake-plex.mjs'), '--port', '0'],
                          logpath=os.path.join(A.outdir, 'logs', 'fake-plex.log'))
        fake_port = None
        for _ in range(500):
            try:
                fake_port = json.loads(open(os.path.join(A.outdir, 'logs', 'fake-plex.log')).readline())['port']
                break
            except (ValueError, KeyError):
                time.sleep(0.02)
        assert fake_port, 'fake plex.tv did not start'
        log(f'fake plex.tv on 127.0.0.1:{fake_port}')
        secret = ''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
        os.makedirs(os.path.join(SCR, 'plex-oidc'), exist_ok=True)
        P = providers(fake_port, secret)
        if 'plex-oidc-redis' in names:
            rp, _ = start_redis(A.outdir)
            P['plex-oidc-redis']['redis_pid'] = rp.pid
            log(f'redis-server on 127.0.0.1:{REDIS_PORT} (pid {rp.pid})')
        if 'plex-oidc' in names:
            extra['keygen_ms'] = keygen_starts(P, A.outdir, max(1, A.keygen_starts))
        extra['binaries'] = {n: binary_info(P[n].get('binary')) for n in names}
        for rep in range(1, A.reps + 1):
            one_rep(P, names, A.outdir, rep, results)
            json.dump({'results': results, 'extra': extra, 'args': vars(A)},
                      open(os.path.join(A.outdir, 'raw.json'), 'w'), indent=1, default=str)
    finally:
        stop_all()
        json.dump({'results': results, 'extra': extra, 'args': vars(A)},
                  open(os.path.join(A.outdir, 'raw.json'), 'w'), indent=1, default=str)
    md = summary(results, extra)
    json.dump({'results': results, 'extra': extra, 'args': vars(A)},
              open(os.path.join(A.outdir, 'raw.json'), 'w'), indent=1, default=str)
    open(os.path.join(A.outdir, 'summary.md'), 'w').write(md)
    print(md)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'secret-hash':
        secret_hash_main(sys.argv[2:])
    else:
        main()

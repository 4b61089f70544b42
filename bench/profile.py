#!/usr/bin/python3
"""Where plex-oidc's time and memory go, in counts that do not depend on how
busy the machine is (called by `PROFILE=1 bench/run`; needs valgrind).

  startup   callgrind from exec to the first answered discovery request:
            instructions in total and in the signing-key check, for
            plex-oidc and for the stack floor.
  requests  callgrind of N discovery requests and N code exchanges (fresh
            codes) over one keep-alive connection, and of the floor answering
            the same GET and POST: instructions per request, by function.
  pending   massif heap snapshot with N pending logins: bytes per pending
            login by allocation site.

usage: profile.py OUTDIR --bin BUILD_G/plex-oidc --floor-bin F --stack-bin S
                  [--n 100] [--pending 10000]
BUILD_G is a -O2 -g build (bench/run makes one in $BENCH_SCRATCH/build-g).
Writes OUTDIR/profile.md (and the callgrind/massif files) and prints it.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, 'lib'))
import bench  # noqa: E402
from httpc import Client  # noqa: E402

FUNCS_REQ = ['on_uri', 'rnd_bytes', 'inet_ntop', 'on_request', 'route', 'send_resp', 'MHD_add_response_header',
             'MHD_destroy_response', 'on_completed', 'log_msg', 'oidc_token', 'jose_jws_sign', 'RSA_sign',
             'BN_BLINDING_update', 'EVP_DigestSignInit', 'json_dumps', '__memset_avx2_unaligned_erms']
FUNCS_START = ['_dl_start', 'main', 'jose_key_load_or_create', 'PEM_read_bio_PrivateKey|PEM_read_PrivateKey',
               'EVP_PKEY_pairwise_check', 'BN_check_prime', 'curl_global_init', 'MHD_start_daemon']


def annotate(path):
    """{function: inclusive Ir} and the total from callgrind_annotate."""
    out = subprocess.run(['callgrind_annotate', '--inclusive=yes', '--threshold=100', path],
                         capture_output=True, text=True).stdout
    total = int(re.search(r'^([\d,]+) \S*\s*PROGRAM TOTALS', out, re.M).group(1).replace(',', ''))
    fn = {}
    for m in re.finditer(r'^\s*([\d,]+) \([\s\d.]+%\)\s+(\S+?):(\S+?)(?:\'\d+)? \[', out, re.M):
        name = m.group(3)
        fn[name] = max(fn.get(name, 0), int(m.group(1).replace(',', '')))
    return total, fn


def dumps_of(prefix):
    """callgrind files of one run, keyed by their dump trigger."""
    d = os.path.dirname(prefix)
    out = {}
    for f in os.listdir(d):
        p = os.path.join(d, f)
        if f.startswith(os.path.basename(prefix)):
            m = re.search(r'^desc: Trigger: (.*)$', open(p).read(4096), re.M)
            if m:
                out[m.group(1).replace('Client Request: ', '').replace('dump ', '').strip()] = p
    return out


def ctl(pid, *args):
    subprocess.run(['callgrind_control', *args, str(pid)], capture_output=True)


def start_fake(outdir):
    log = os.path.join(outdir, 'fake-plex.log')
    bench.start_proc('fake-plex', ['node', os.path.join(os.path.dirname(HERE), 'tests', 'fake-plex',
                                                        'fake-plex.mjs'), '--port', '0'], logpath=log)
    for _ in range(500):
        try:
            return json.loads(open(log).readline())['port']
        except ValueError:
            time.sleep(0.02)
    raise RuntimeError('fake plex.tv did not start')


def vg(tool, out, cmd, logpath):
    opts = {'callgrind': ['--tool=callgrind', f'--callgrind-out-file={out}'],
            'callgrind-off': ['--tool=callgrind', '--instr-atstart=no', f'--callgrind-out-file={out}'],
            'massif': ['--tool=massif', f'--massif-out-file={out}', '--threshold=0.5', '--vgdb=yes']}[tool]
    return bench.start_proc('valgrind', ['valgrind', *opts, *cmd], logpath=logpath)


def profile_startup(a, P, L):
    L.append('## Startup: instructions from exec to the first answered discovery request\n')
    L.append('| process | total Ir | ' + ' | '.join(f'`{f}`' for f in FUNCS_START) + ' |')
    L.append('|---|---|' + '---|' * len(FUNCS_START))
    po = P['plex-oidc']
    runs = [('plex-oidc', po['cmd'], po['port'], po['disc']),
            ('stack-floor', [a.stack_bin, '18082', os.path.join(bench.SCR, 'plex-oidc', 'data', 'signing-key.pem'),
                             '2'], 18082, '/')]
    for name, cmd, port, path in runs:
        out = os.path.join(a.outdir, f'callgrind.start.{name}')
        p = vg('callgrind', out, cmd, out + '.log')
        bench.wait_ready(port, path, time.perf_counter() + 300, p)
        ctl(p.pid, '--dump=ready')
        bench.stop(p)
        total, fn = annotate(dumps_of(out)['ready'])
        L.append(f'| {name} | {total:,} | ' + ' | '.join(
            f'{max(fn.get(g, 0) for g in f.split("|")):,}' for f in FUNCS_START) + ' |')
    L.append('')


def profile_requests(a, P, L, fake_port):
    n = a.n
    po = P['plex-oidc']
    rows = []
    # plex-oidc: discovery, JWKS, code exchange
    out = os.path.join(a.outdir, 'callgrind.req.plex-oidc')
    p = vg('callgrind-off', out, po['cmd'], out + '.log')
    bench.wait_ready(po['port'], po['disc'], time.perf_counter() + 300, p)
    codes = bench.po_codes(po, n)
    c = Client('127.0.0.1', po['port'])
    c.request('GET', po['disc'])
    ctl(p.pid, '--instr=on')
    for what, fn in (('discovery', lambda i: c.request('GET', po['disc'])),
                     ('jwks', lambda i: c.request('GET', '/jwks')),
                     ('token', lambda i: c.request('POST', '/token', basic=(bench.CLIENT_ID, po['secret']),
                                                   form=bench.token_form(codes[i]),
                                                   headers={'X-Forwarded-For': bench.xff(100000 + i)}))):
        ctl(p.pid, '--zero')
        for i in range(n):
            st, _, b = fn(i)
            assert st == 200, (what, st, b[:200])
        ctl(p.pid, f'--dump={what}')
    c.close()
    bench.stop(p)
    d = dumps_of(out)
    for what in ('discovery', 'jwks', 'token'):
        total, fns = annotate(d[what])
        rows.append(('plex-oidc', what, total, fns))
    # the floor: same GET and POST
    out = os.path.join(a.outdir, 'callgrind.req.floor')
    p = vg('callgrind-off', out, [a.floor_bin, '18081', '2'], out + '.log')
    bench.wait_ready(18081, '/', time.perf_counter() + 300, p)
    c = Client('127.0.0.1', 18081)
    c.request('GET', '/')
    ctl(p.pid, '--instr=on')
    for what, fn in (('GET', lambda i: c.request('GET', po['disc'])),
                     ('POST', lambda i: c.request('POST', '/token', basic=(bench.CLIENT_ID, po['secret']),
                                                  form=bench.token_form('x' * 43)))):
        ctl(p.pid, '--zero')
        for i in range(n):
            st, _, _ = fn(i)
            assert st == 200
        ctl(p.pid, f'--dump={what}')
    c.close()
    bench.stop(p)
    d = dumps_of(out)
    for what in ('GET', 'POST'):
        total, fns = annotate(d[what])
        rows.append(('floor', what, total, fns))
    L.append(f'## Requests: user-space instructions per request (callgrind, {n} requests each, keep-alive)\n')
    L.append('Kernel time (the socket calls) is not in these counts; it is about the same for every server.\n')
    L.append('| server | request | Ir per request | ' + ' | '.join(f'`{f}`' for f in FUNCS_REQ) + ' |')
    L.append('|---|---|---|' + '---|' * len(FUNCS_REQ))
    for srv, what, total, fns in rows:
        L.append(f'| {srv} | {what} | {total / n:,.0f} | ' +
                 ' | '.join(f'{fns.get(f, 0) / n:,.0f}' for f in FUNCS_REQ) + ' |')
    L.append('')


def profile_pending(a, P, L):
    po = P['plex-oidc']
    out = os.path.join(a.outdir, 'massif.pending')
    p = vg('massif', out, po['cmd'], out + '.log')
    bench.wait_ready(po['port'], po['disc'], time.perf_counter() + 300, p)
    snaps = {}
    for tag, k in (('before', 0), ('after', a.pending)):
        if k:
            bench.pending_bench(po, p.pid, k)
        snap = f'{out}.{tag}'
        subprocess.run(['vgdb', f'--pid={p.pid}', 'detailed_snapshot', snap], capture_output=True, timeout=120)
        snaps[tag] = open(snap).read()
    bench.stop(p)

    def sites(txt):
        heap = int(re.search(r'mem_heap_B=(\d+)', txt).group(1))
        extra = int(re.search(r'mem_heap_extra_B=(\d+)', txt).group(1))
        s = {}   # top-level allocation sites; one function can be several sites (inlined copies)
        for m in re.finditer(r'^ n\d+: (\d+) (?:(0x[0-9A-F]+): )?(.*)$', txt, re.M):
            s[(m.group(2) or '', m.group(3).strip())] = int(m.group(1))
        return heap, extra, s
    hb, eb, sb = sites(snaps['before'])
    ha, ea, sa = sites(snaps['after'])
    n = a.pending
    L.append(f'## Pending logins: heap per pending login (massif, {n} GET /authorize, fresh browsers)\n')
    L.append(f'Heap: +{(ha - hb) / n:.0f} B requested per login, +{(ea - eb) / n:.0f} B of malloc overhead '
             f'(headers, alignment).\n')
    L.append('| allocation site | bytes per pending login |')
    L.append('|---|---|')
    for site, v in sorted(sa.items(), key=lambda kv: -(kv[1] - sb.get(kv[0], 0))):
        dv = (v - sb.get(site, 0)) / n
        if dv >= 1:
            L.append(f'| `{site[1]}`{" at " + site[0] if site[0] else ""} | {dv:.0f} |')
    L.append('')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('outdir')
    ap.add_argument('--bin', required=True)
    ap.add_argument('--floor-bin', required=True)
    ap.add_argument('--stack-bin', required=True)
    ap.add_argument('--n', type=int, default=100)
    ap.add_argument('--pending', type=int, default=10000)
    a = ap.parse_args()
    os.makedirs(os.path.join(a.outdir, 'logs'), exist_ok=True)
    bench.A = types.SimpleNamespace(xff=True, bin=a.bin, floor_bin=a.floor_bin, stack_bin=a.stack_bin, jwk='-',
                                    log_level='warn', batch=a.n, mint_conc=32, candidate=None)
    bench.PIDFILE = os.path.join(a.outdir, 'pids')
    L = ['# plex-oidc profile (callgrind / massif)', '',
         f'Binary: `{a.bin}`. Counts are instructions (Ir), exact for a given build and library set.', '']
    try:
        fake_port = start_fake(a.outdir)
        P = bench.providers(fake_port, 'Pr0f1le0Secret0Abcdefghijklmnopqrstuvwxy')
        P['plex-oidc']['prep']()
        if not os.path.exists(os.path.join(bench.SCR, 'plex-oidc', 'data', 'signing-key.pem')):
            p, _ = bench.launch('plex-oidc', P['plex-oidc'], a.outdir, 0, tag='-keygen')   # creates the key
            bench.stop(p)
        profile_startup(a, P, L)
        profile_requests(a, P, L, fake_port)
        profile_pending(a, P, L)
    finally:
        bench.stop_all()
    md = '\n'.join(L) + '\n'
    open(os.path.join(a.outdir, 'profile.md'), 'w').write(md)
    print(md)


if __name__ == '__main__':
    main()

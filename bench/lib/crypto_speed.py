#!/usr/bin/python3
"""The signing-speed floor (adapted from the peer-measurement scripts):
`openssl speed -seconds SECONDS rsa2048 ecdsap256`, repeated REPS times.
Writes OUTDIR/crypto.json (medians and every run) and prints one line per run.
usage: crypto_speed.py OUTDIR [REPS] [SECONDS]"""
import json
import os
import re
import statistics
import subprocess
import sys

out = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
secs = sys.argv[3] if len(sys.argv) > 3 else '5'
cmd = ['openssl', 'speed', '-seconds', secs, 'rsa2048', 'ecdsap256']
runs = []
for i in range(reps):
    txt = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    r = {}
    m = re.search(r'^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)', txt, re.M)
    if m:
        r['rsa2048'] = [float(m.group(1)), float(m.group(2))]
    m = re.search(r'256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)', txt)
    if m:
        r['ecdsap256'] = [float(m.group(1)), float(m.group(2))]
    runs.append(r)
    print(f'[crypto] run {i + 1}: ' + ', '.join(f'{k} sign/s={v[0]:.0f} verify/s={v[1]:.0f}' for k, v in r.items()),
          flush=True)
res = {'cmd': ' '.join(cmd), 'reps': reps, 'runs': runs,
       'openssl': subprocess.run(['openssl', 'version'], capture_output=True, text=True).stdout.strip()}
for k in ('rsa2048', 'ecdsap256'):
    s = [r[k][0] for r in runs if k in r]
    v = [r[k][1] for r in runs if k in r]
    if s:
        res[k] = {'sign_per_s': statistics.median(s), 'sign_min': min(s), 'sign_max': max(s),
                  'verify_per_s': statistics.median(v), 'sign_us': 1e6 / statistics.median(s)}
json.dump(res, open(os.path.join(out, 'crypto.json'), 'w'), indent=1)

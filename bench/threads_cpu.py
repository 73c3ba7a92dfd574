#!/usr/bin/env python3
"""CPU time per kind of thread, from /proc/*/task/*/schedstat (run ns, wait ns, time slices).

    threads_cpu.py snap FILE             record every thread's counters in FILE (JSON)
    threads_cpu.py diff A B SECONDS [N]  what each kind of thread used between the two
                                         snapshots: % of one core, wait per slice, slices,
                                         and per operation with N operations

A kind is the process's name and the thread's name without its number (habilis:tokio-rt-worker,
habilis:habilis-hash); PostgreSQL's processes by their role (client backend of a database,
walwriter, ...). Threads that ended between the snapshots are not counted.
Used by bench/login_ab.sh (issue 14).
"""
import json
import os
import re
import sys
from collections import defaultdict


def read(path):
    with open(path) as f:
        return f.read()


def snap(out):
    found = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            comm = read(f'/proc/{pid}/comm').strip()
            if comm == 'postgres':
                # "postgres: 15/main: walwriter", or a client's "postgres: 15/main: user db 127.0.0.1(port) idle".
                role = read(f'/proc/{pid}/cmdline').replace('\0', ' ').split(':', 2)[-1]
                client = '(' in role or '[local]' in role
                comm = 'postgres backend' if client else 'postgres ' + (role.split() or ['?'])[0]
            tids = os.listdir(f'/proc/{pid}/task')
        except OSError:
            continue
        for tid in tids:
            try:
                name = read(f'/proc/{pid}/task/{tid}/comm').strip()
                run, wait, slices = map(int, read(f'/proc/{pid}/task/{tid}/schedstat').split())
            except (OSError, ValueError):
                continue
            found[f'{pid}/{tid}'] = (comm, name, run, wait, slices)
    with open(out, 'w') as f:
        json.dump(found, f)


def diff(a_path, b_path, seconds, ops):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    kinds = defaultdict(lambda: [0, 0, 0])
    for key, (comm, name, run, wait, slices) in b.items():
        was = a.get(key, (comm, name, 0, 0, 0))
        kind = comm if comm.startswith('postgres') else f"{comm}:{re.sub(r'[-_ ]?[0-9]+$', '', name)}"
        k = kinds[kind]
        k[0] += run - was[2]
        k[1] += wait - was[3]
        k[2] += slices - was[4]
    for kind, (run, wait, slices) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        if run < 1_000_000:
            continue
        per = f'  {run / 1e3 / ops:9.1f} us/op' if ops else ''
        print(f'{kind:40s} cpu {run / 1e9 / seconds * 100:6.1f}%  wait/slice {wait / max(slices, 1) / 1e3:7.1f} us  slices {slices:7d}{per}')


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'snap':
        snap(sys.argv[2])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == 'diff':
        diff(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) == 6 else 0)
    else:
        sys.exit(__doc__)

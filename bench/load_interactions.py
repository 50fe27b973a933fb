"""Benchmark of `load_interactions` (nbs/14b_interactions.ipynb) on large CSV files of string ids: seconds and peak memory.

Run from the repository root:

    python bench/load_interactions.py                    # 1M and 25M rows; prints a markdown table
    python bench/load_interactions.py --rows 1000000     # 1M rows only

The files (`user,movie,rating` with ids such as `u123` and `i456` and half-star ratings, about 16 bytes a line) are
written once to a temporary folder outside the repository and deleted at the end. Users and items are drawn by
`synthetic.synthetic_ratings` with MovieLens 25M's table sizes (skewed like MovieLens), repeated pairs dropped. Each
load runs in its own child process, so that its peak memory (`VmHWM` of /proc/self/status, which, unlike `ru_maxrss`, starts afresh at exec) is its own; the 1-minute load average is
shown beside each figure, since other work on the machine slows it.
"""
from __future__ import annotations
import argparse, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

N_USERS, N_ITEMS = 162_541, 59_047   # MovieLens 25M's users and movies

def write_csv(n: int, fn: Path, seed: int = 0, chunk: int = 1_000_000) -> dict:
    "Write `n` ratings of distinct (user, item) pairs with string ids to `fn`; their table sizes."
    from collab_tutorial.synthetic import synthetic_ratings
    u, i, r, _ = synthetic_ratings(int(n * 1.6) + 1000, N_USERS, N_ITEMS, n_factors=10, seed=seed)
    key = u.astype(np.int64) * N_ITEMS + i
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)[:n]
    assert len(keep) == n, 'too many repeated pairs: draw more'
    u, i, r = u[keep], i[keep], np.round(r[keep] * 2) / 2
    us, its, rs = [f'u{k}' for k in range(N_USERS)], [f'i{k}' for k in range(N_ITEMS)], {x: f'{x:g}' for x in np.arange(0.5, 5.5, 0.5)}
    with open(fn, 'w') as f:
        f.write('user,movie,rating\n')
        for s in range(0, n, chunk):
            f.write(''.join(f'{us[a]},{its[b]},{rs[c]}\n' for a, b, c in zip(u[s:s+chunk].tolist(), i[s:s+chunk].tolist(), r[s:s+chunk].tolist())))
    return dict(rows=n, users=len(np.unique(u)), items=len(np.unique(i)), mb=fn.stat().st_size / 2**20)

def child(fn: str, careful: bool):
    "Load `fn` in this process and print seconds and peak memory as JSON."
    from collab_tutorial import interactions
    if careful: interactions._fast_table = lambda *a: None
    t = time.perf_counter()
    df = interactions.load_interactions(fn, rating='rating')
    s = time.perf_counter() - t
    hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))  # this program's peak, in kB
    print('RESULT ' + json.dumps(dict(seconds=s, peak_mb=hwm / 1024,
                                      rows=len(df), dtypes=[str(d) for d in df.dtypes])))

def run(fn: Path, careful: bool = False) -> dict:
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, __file__, '--child', str(fn)] + ['--careful'] * careful, capture_output=True, text=True)
    if out.returncode: raise RuntimeError(out.stderr[-2000:])
    res = json.loads(next(l for l in out.stdout.splitlines() if l.startswith('RESULT '))[7:])
    return dict(res, load_1min_before=round(load, 2), load_1min_after=round(os.getloadavg()[0], 2))

if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--rows', type=int, nargs='+', default=[1_000_000, 25_000_000])
    p.add_argument('--careful-up-to', type=int, default=1_000_000, help='also time the careful reader on files up to this many rows')
    p.add_argument('--child'); p.add_argument('--careful', action='store_true'); p.add_argument('--write', nargs=2)
    a = p.parse_args()
    if a.child: child(a.child, a.careful); sys.exit()
    if a.write: print(json.dumps(write_csv(int(a.write[0]), Path(a.write[1])))); sys.exit()  # in a child too, to keep this process small
    import pandas as pd
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.machine())
    print(f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
          f"pandas {pd.__version__}, numpy {np.__version__}\n")
    print('| rows | file MB | users | items | reader | seconds | peak MB | load 1 min (before, after) |\n|--:|--:|--:|--:|:--|--:|--:|:--|')
    with tempfile.TemporaryDirectory() as d:
        for n in a.rows:
            fn = Path(d) / f'r{n}.csv'
            t = time.perf_counter()
            info = json.loads(subprocess.run([sys.executable, __file__, '--write', str(n), str(fn)], capture_output=True, text=True, check=True).stdout)
            made = time.perf_counter() - t
            print(f'<!-- wrote {n:,} rows in {made:.0f} s -->', file=sys.stderr)
            for careful in ([False, True] if n <= a.careful_up_to else [False]):
                r = run(fn, careful)
                assert r['rows'] == n, r
                print(f"| {n:,} | {info['mb']:.0f} | {info['users']:,} | {info['items']:,} | {'careful' if careful else 'fast'} | "
                      f"{r['seconds']:.1f} | {r['peak_mb']:,.0f} | {r['load_1min_before']}, {r['load_1min_after']} |", flush=True)
            fn.unlink()

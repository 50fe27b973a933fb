"""Time and memory of parsing a synthetic MovieLens 32M (exact ml-32m format, 32,000,204 ratings); see nbs/14_movielens.ipynb.

    python bench/movielens.py make DIR        # write DIR/ratings.csv and DIR/movies.csv (about 0.9 GB)
    python bench/movielens.py parse DIR       # read_release + encode_ids, no cache (run under /usr/bin/time -v)
    python bench/movielens.py cache DIR       # movielens(dest=DIR): parse + write the .npy cache; then load it again
    python bench/movielens.py zip DIR         # write DIR/ml-32m.zip (deflate level 1) from the files
    python bench/movielens.py web DIR         # serve DIR/ml-32m.zip on 127.0.0.1; time download, MD5, parse from the zip
"""
import os, sys, time, resource, zipfile
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd
import collab_tutorial.movielens as ml

R = ml.RELEASES['ml-32m']

def make(d: Path, seed: int = 0):
    "Sorted by user then movie like GroupLens' file; every count of the registry is met exactly."
    g = np.random.default_rng(seed)
    n, U, M, N = R.n_ratings, R.n_users, R.n_rated, R.n_movies
    ids = np.sort(g.choice(np.arange(1, 292_758), N, replace=False)).astype(np.int64)  # sparse movie ids up to 292,757
    rated = np.sort(g.choice(N, M, replace=False))                                      # positions of the rated movies
    k = np.minimum(20 + g.geometric(1 / 140, U), 5000)                                  # ratings per user, at least 20
    k[: (M + 999) // 1000] = 1000                                                       # the first users cover every rated movie
    k[-1] += n - k.sum()
    while k[-1] < 20 or k[-1] > 5000:                                                   # spread the remainder
        i = g.integers(100, U - 1); d_ = int(np.clip(k[-1] - 160, -k[i] + 20, 5000 - k[i])); k[i] += d_; k[-1] -= d_
    assert k.sum() == n and k.min() >= 20
    start = g.integers(0, M - k + 1); start[: (M + 999) // 1000] = np.minimum(np.arange((M + 999) // 1000) * 1000, M - 1000)
    user = np.repeat(np.arange(1, U + 1), k)
    off = np.arange(n) - np.repeat(np.cumsum(k) - k, k)
    movie = ids[rated[np.repeat(start, k) + off]]
    rating = g.integers(1, 11, n) / 2
    ts = g.integers(789_652_009, 1_697_164_147, n)
    d.mkdir(parents=True, exist_ok=True)
    with open(d/'ratings.csv', 'w') as f:
        f.write('userId,movieId,rating,timestamp\n')
        for a in range(0, n, 4_000_000):
            s = slice(a, a + 4_000_000)
            pd.DataFrame(dict(u=user[s], m=movie[s], r=rating[s], t=ts[s])).to_csv(f, header=False, index=False, float_format='%.1f')
    titles = [f'"Movie {i}, The ({1900 + i % 120})"' if i % 3 == 0 else f"Movie {i} ({1900 + i % 120})" for i in ids]
    with open(d/'movies.csv', 'w') as f:
        f.write('movieId,title,genres\n' + ''.join(f"{i},{t},Comedy|Drama\n" for i, t in zip(ids, titles)))

def peak_mb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def parse(d: Path):
    t = time.perf_counter()
    df, movies, counts = ml.read_release(d, R)
    t1 = time.perf_counter()
    codes, users, items = ml.encode_ids(df)
    t2 = time.perf_counter()
    print(f"parse+check {t1-t:.1f} s, encode {t2-t1:.2f} s, total {t2-t:.1f} s; peak RSS {peak_mb():,.0f} MB; {counts}")
    print(df.dtypes.to_dict(), f"{df.memory_usage(deep=True).sum()/2**20:,.0f} MiB")

def cache(d: Path):
    t = time.perf_counter(); out = ml.movielens(R, dest=d); t1 = time.perf_counter()
    df = ml.load_movielens(R, dest=d); t2 = time.perf_counter()
    df2 = ml.load_movielens(R, dest=d, titles=False, timestamps=False); t3 = time.perf_counter()
    print(f"build {t1-t:.1f} s; second load with titles {t2-t1:.1f} s, without titles/timestamps {t3-t2:.1f} s; "
          f"peak RSS {peak_mb():,.0f} MB; cache {sum(f.stat().st_size for f in out.iterdir())/2**20:,.0f} MiB")

def make_zip(d: Path):
    with zipfile.ZipFile(d/'ml-32m.zip', 'w', zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for f in ('ratings.csv', 'movies.csv'): z.write(d/f, f'ml-32m/{f}')

def web(d: Path):
    "Serve DIR/ml-32m.zip from 127.0.0.1 and time the download route: fetch, MD5, parse from the zip, cache."
    import hashlib, http.server, threading, functools, os
    h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(d))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h); threading.Thread(target=s.serve_forever, daemon=True).start()
    r = replace(R, md5=ml._md5_of(d/'ml-32m.zip'))
    t = time.perf_counter(); ml.movielens(r, base_url=f'http://127.0.0.1:{s.server_address[1]}', verbose=True); t1 = time.perf_counter()
    print(f"download + MD5 + parse from zip + cache: {t1-t:.1f} s; peak RSS {peak_mb():,.0f} MB")

STEPS = dict(make=make, parse=parse, cache=cache, zip=make_zip, web=web)

if __name__ == '__main__':
    import argparse
    p = argparse.ArgumentParser(prog='bench/movielens.py', description=__doc__.split('\n')[0])
    p.add_argument('step', choices=list(STEPS), help='make the files first, then time parse, cache, zip or web')
    p.add_argument('folder', type=Path, help='a folder with room for about 2 GB (make writes into it)')
    a = p.parse_args()
    if a.step != 'make' and not (a.folder/'ratings.csv').is_file():
        p.error(f"{a.folder} holds no ratings.csv: run `python bench/movielens.py make {a.folder}` first")
    STEPS[a.step](a.folder)

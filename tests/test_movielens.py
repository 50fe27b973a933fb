"""Tests of the MovieLens loaders (nbs/13a_movielens_files.ipynb reads the files, nbs/14_movielens.ipynb downloads and caches) against small generated archives served from 127.0.0.1."""
import hashlib, http.server, io, multiprocessing as mp, os, sys, threading, zipfile
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd, pytest

import collab_tutorial.movielens as ml, collab_tutorial.movielens_files as mf
from collab_tutorial.movielens_files import read_release
from collab_tutorial.data import DataError

# ---- generated releases in the exact GroupLens formats -------------------------------------------------------------

def make_release(name: str, n_users: int = 7, n_movies: int = 12, seed: int = 0):
    "Ratings and movie-list bytes in `name`'s format, the frame `load_movielens` should return, and the test `Release`."
    r, g = ml.RELEASES[name], np.random.default_rng(seed)
    rows = []
    for u in range(1, n_users + 1):
        ms = g.choice(np.arange(1, n_movies), size=int(g.integers(2, 6)), replace=False)  # the last movie is never rated
        ms = ms if r.fmt == 'dat' and name == 'ml-1m' else np.sort(ms)                     # ml-1m is not sorted by movie
        for m in ms:
            x = g.integers(1, 11) / 2 if r.half_stars else float(g.integers(1, 6))
            rows.append((u, int(m) * 3, x, 900_000_000 + int(g.integers(0, 10**8))))      # sparse movie ids, like GroupLens
    df = pd.DataFrame(rows, columns=['user', 'movie', 'rating', 'timestamp'])
    titles = {m * 3: f"Movie {m}, The ({1990 + m})" if m % 4 else f"Misérables {m} (1995)" for m in range(1, n_movies + 1)}
    if r.fmt == 'csv':
        fmt = lambda x: f"{x:.1f}"
        rat = 'userId,movieId,rating,timestamp\n' + ''.join(f"{u},{m},{fmt(x)},{t}\n" for u, m, x, t in rows)
        q = lambda s: f'"{s}"' if ',' in s else s
        mov = 'movieId,title,genres\n' + ''.join(f"{m},{q(t)},Comedy|Drama\n" for m, t in titles.items())
        rat, mov = rat.encode(), mov.encode('utf-8')
    else:
        fmt = (lambda x: f"{x:g}") if r.half_stars else (lambda x: str(int(x)))
        rat = ''.join(f"{u}::{m}::{fmt(x)}::{t}\n" for u, m, x, t in rows).encode()
        mov = ''.join(f"{m}::{t}::Comedy|Drama\n" for m, t in titles.items()).encode('latin-1' if name == 'ml-1m' else 'utf-8')
    want = df.astype(dict(user='int32', movie='int32', rating='float32', timestamp='int64'))
    want['title'] = want.movie.map(titles)
    rel = replace(r, n_ratings=len(df), n_users=df.user.nunique(), n_rated=df.movie.nunique(), n_movies=n_movies)
    return rat, mov, want, rel

def make_zip(r, rat: bytes, mov: bytes, drop: str | None = None) -> bytes:
    "A zip laid out like GroupLens': the release folder with the ratings file and movie list (and a README)."
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        for f, b in ((r.ratings, rat), (r.movies, mov), ('README.txt', b'generated for tests\n')):
            if f != drop: z.writestr(f'{r.folder}/{f}', b)
    return buf.getvalue()

md5 = lambda b: hashlib.md5(b).hexdigest()

# ---- a local server --------------------------------------------------------------------------------------------------

class Files(http.server.BaseHTTPRequestHandler):
    files: dict = {}   # path -> bytes
    liars: set = set() # paths whose Content-Length claims twice the bytes sent
    def do_GET(self):
        b = self.files.get(self.path)
        if b is None: self.send_error(404); return
        self.send_response(200)
        self.send_header('Content-Length', str(len(b) * (2 if self.path in self.liars else 1)))
        self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass

@pytest.fixture(scope='module')
def server():
    s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Files)
    t = threading.Thread(target=s.serve_forever, daemon=True); t.start()
    yield f'http://127.0.0.1:{s.server_address[1]}/movielens', Files
    s.shutdown(); s.server_close()

def serve(srv, name: str, data: bytes, sidecar: str | None = None, lie: bool = False) -> str:
    "Serve `data` as `<name>.zip` (and `sidecar` as its `.md5`); return the base URL."
    base, h = srv
    h.files[f'/movielens/{name}.zip'] = data
    if sidecar is not None: h.files[f'/movielens/{name}.zip.md5'] = f"MD5 ({name}.zip) = {sidecar}\n".encode()
    (h.liars.add if lie else h.liars.discard)(f'/movielens/{name}.zip')
    return base

@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv('COLLAB_TUTORIAL_CACHE', str(tmp_path/'cache'))
    monkeypatch.delenv('COLLAB_TUTORIAL_MOVIELENS_URL', raising=False)
    return tmp_path/'cache'/'movielens'

def clean(root: Path, name: str):
    "Nothing of a failed build is left: no parsed folder, no zip, no temporary file or folder."
    left = sorted(p.name for p in root.iterdir() if not p.name.endswith('.lock'))
    assert left == [], left

NAMES = list(ml.RELEASES)

# ---- good downloads, the cache, the explicit folder ------------------------------------------------------------------

@pytest.mark.parametrize('name', NAMES)
def test_download_each_format(server, cache, name):
    rat, mov, want, r = make_release(name)
    z = make_zip(r, rat, mov)
    r = replace(r, md5=md5(z) if r.md5 != 'fetch' else 'fetch')
    base = serve(server, name, z, sidecar=md5(z))
    df = ml.load_movielens(r, base_url=base)
    pd.testing.assert_frame_equal(df.assign(title=df.title.astype(str)), want.assign(title=want.title.astype(str)))
    assert df.title.dtype == 'category' and (cache/f'{name}.zip').read_bytes() == z
    assert ml.load_movies(r, base_url=base).title.str.startswith('Mis').sum() == 3  # latin-1 or UTF-8, decoded right
    # second load: from the cache, with no server to reach
    df2 = ml.load_movielens(r, base_url='http://127.0.0.1:9/nothing', timestamps=False, titles=False)
    pd.testing.assert_frame_equal(df2, want[['user', 'movie', 'rating']])

def test_env_base_url(server, cache, monkeypatch):
    rat, mov, want, r = make_release('ml-25m')
    z = make_zip(r, rat, mov)
    monkeypatch.setenv('COLLAB_TUTORIAL_MOVIELENS_URL', serve(server, 'ml-25m', z))
    assert len(ml.load_movielens(replace(r, md5=md5(z)))) == len(want)

@pytest.mark.parametrize('layout', ['files', 'subfolder', 'zip'])
def test_explicit_folder(tmp_path, cache, layout):
    rat, mov, want, r = make_release('ml-10m')
    d = tmp_path/'mine'; (d/r.folder).mkdir(parents=True)
    if layout == 'zip': (d/'ml-10m.zip').write_bytes(make_zip(r, rat, mov))
    else:
        f = d if layout == 'files' else d/r.folder
        (f/r.ratings).write_bytes(rat); (f/r.movies).write_bytes(mov)
    r = replace(r, md5=None)
    pd.testing.assert_frame_equal(ml.load_movielens(r, dest=d, titles=False), want.drop(columns='title'))
    if layout == 'files':  # a changed file makes the parsed copy stale: it is rebuilt, or the change is reported
        (d/r.ratings).write_bytes(rat + b'1::3::9::5\n')
        with pytest.raises(DataError, match=r"line \d+ has rating 9.0"): ml.load_movielens(r, dest=d)

def test_explicit_folder_errors(tmp_path, cache):
    r = make_release('ml-1m')[3]
    with pytest.raises(DataError, match='does not exist'): ml.load_movielens(r, dest=tmp_path/'nope')
    with pytest.raises(DataError, match='holds neither ratings.dat'): ml.load_movielens(r, dest=tmp_path)
    with pytest.raises(TypeError, match='dest must be a folder'): ml.load_movielens(r, dest=3)
    with pytest.raises(ValueError, match="must be one of 'ml-100k', 'ml-latest-small'"): ml.load_movielens('ml-7m')

# ---- every failure: one DataError, nothing half-written --------------------------------------------------------------

def failing(server, cache, name, z, match, r=None, sidecar=None, lie=False):
    r = r or make_release(name)[3]
    with pytest.raises(DataError, match=match) as e: ml.load_movielens(r, base_url=serve(server, name, z, sidecar, lie))
    assert 'Fix:' in str(e.value)
    clean(cache, name)
    return str(e.value)

def test_corrupted_archive(server, cache):
    rat, mov, _, r = make_release('ml-20m', n_users=40)
    z = bytearray(make_zip(r, rat, mov)); z[200:230] = bytes(30)  # inside the compressed ratings
    failing(server, cache, 'ml-20m', bytes(z), 'damaged or incomplete zip', replace(r, md5=None))

def test_truncated_archive(server, cache):
    rat, mov, _, r = make_release('ml-25m')
    z = make_zip(r, rat, mov)
    failing(server, cache, 'ml-25m', z[:len(z)//2], 'damaged or incomplete zip', replace(r, md5=None))
    failing(server, cache, 'ml-25m', z, r'cut short: [\d,]+ of [\d,]+ bytes', replace(r, md5=None), lie=True)

def test_wrong_checksum(server, cache):
    rat, mov, _, r = make_release('ml-32m')
    z = make_zip(r, rat, mov)
    failing(server, cache, 'ml-32m', z, 'has MD5 .* but GroupLens publishes 0{32}', replace(r, md5='0' * 32))
    rat, mov, _, r = make_release('ml-latest-small')
    z = make_zip(r, rat, mov)
    failing(server, cache, 'ml-latest-small', z, 'but GroupLens publishes f{32}', r, sidecar='f' * 32)

def test_missing_sidecar_warns(server, cache):
    rat, mov, want, r = make_release('ml-latest-small')
    server[1].files.pop('/movielens/ml-latest-small.zip.md5', None)
    with pytest.warns(UserWarning, match='without an MD5 check'):
        assert len(ml.load_movielens(r, base_url=serve(server, 'ml-latest-small', make_zip(r, rat, mov)))) == len(want)

@pytest.mark.parametrize('name,bad,at,match', [
    ('ml-25m', b'1,2,3.5\n', None, r'line 5 has 3 `,`-separated fields, expected 4'),
    ('ml-1m', b'1::2::x::5\n', None, r'line 4 has a field that is not a number'),
    ('ml-10m', b'\n', None, r'line 4 is empty'),
    ('ml-20m', b'1,2,7.0,5\n', None, r'line 5 has rating 7.0: ratings of ml-20m are 0.5 to 5 stars in half-star steps'),
    ('ml-1m', b'1::2::3.5::5\n', None, r'line 4 has rating 3.5: ratings of ml-1m are whole stars'),
    ('ml-32m', b'0,2,3.0,5\n', None, r'line 5 has user 0, movie 2: ids must be'),
    # a row with more fields than the header, first in its block: once shifted one column left by pandas, now refused
    ('ml-25m', b'9,1,3,4.0,900000000\n', 1, r'line 2 has 5 `,`-separated fields, expected 4'),
    ('ml-1m', b'9::1::3::4::900000000\n', 0, r'line 1 has 5 `::`-separated fields, expected 4'),
    ('ml-32m', b'1,3,4.0,900000000,7\n', None, r'line 5 has 5 `,`-separated fields, expected 4'),
    ('ml-10m', b'1::3::4::900000000::7\n', None, r'line 4 has 5 `::`-separated fields, expected 4'),
])
def test_bad_line(server, cache, name, bad, at, match):
    rat, mov, _, r = make_release(name)
    lines = rat.split(b'\n'); lines.insert(at if at is not None else 4 if ml.RELEASES[name].fmt == 'csv' else 3, bad.rstrip(b'\n'))
    failing(server, cache, name, make_zip(r, b'\n'.join(lines), mov), match, replace(r, md5=None))

def _title(mov: bytes, title: bytes) -> bytes:
    "The movie list with movie 15's title (line 6, quoted for its comma) written as `title` instead."
    return mov.replace(b'"Movie 5, The (1995)"', title)

@pytest.mark.parametrize('name,rat,mov,match', [
    ('ml-25m', None, lambda m: _title(m, b'"Movie 5, The "Q" (1995)"'), r'movies.csv line 6 has a stray quote in a quoted field'),
    ('ml-25m', None, lambda m: _title(m, b'"Movie 5, The (1995)'), r'movies.csv line 6 opens a quote that is not closed on the same line'),
    ('ml-20m', None, lambda m: _title(m, b'Movie 5, The (1995)'), r'movies.csv line 6 has 4 fields, expected 3'),
    ('ml-32m', None, lambda m: m.replace(b'\n15,', b'\n\n15,'), r'movies.csv line 6 is empty'),
    ('ml-1m', None, lambda m: m.replace(b'\n15::', b'\n15::x::'), r'movies.dat line 5 has 4 fields, expected 3'),
    # every row with one field too many: pandas once took the first field as a row label and shifted the rest left
    ('ml-25m', lambda x: x.replace(b'\n', b'\n9,')[:-2], None, r'ratings.csv line 2 has 5 `,`-separated fields, expected 4'),
    ('ml-10m', lambda x: b'9::' + x.replace(b'\n', b'\n9::')[:-3], None, r'ratings.dat line 1 has 5 `::`-separated fields, expected 4'),
    # memory bounded by the release: a member too big for its release, or a line too long for it, stops at once
    ('ml-25m', lambda x: x + b"1,3,4.0,5\n" * 10_000, None, r'ratings.csv unpacks to [\d,]+ bytes, more than ml-25m can hold'),
    ('ml-1m', None, lambda m: m + b'1::x::y\n' * 150_000, r'movies.dat unpacks to [\d,]+ bytes, more than ml-1m can hold'),
    ('ml-20m', lambda x: x.replace(b'\n', b'\n' + b'9' * 3000 + b'\n', 1), None, r'ratings.csv line 2 is longer than 64 bytes'),
])
def test_bad_file(server, cache, monkeypatch, name, rat, mov, match):
    monkeypatch.setattr(mf, '_BLOCK', 1024)  # small reads, so that a long line reaches the end of one
    r0, m0, _, r = make_release(name, n_users=20)
    failing(server, cache, name, make_zip(r, (rat or (lambda x: x))(r0), (mov or (lambda x: x))(m0)), match, replace(r, md5=None))

def test_doubled_quote_read(tmp_path):
    "A quote inside a quoted title, written twice as CSV asks, is read as one quote."
    rat, mov, _, r = make_release('ml-25m')
    (tmp_path/r.ratings).write_bytes(rat); (tmp_path/r.movies).write_bytes(_title(mov, b'"Movie 5, The ""Q"" (1995)"'))
    assert 'Movie 5, The "Q" (1995)' in read_release(tmp_path, replace(r, md5=None))[1].title.tolist()

LIBERAL = {'CRLF': lambda b: b.replace(b'\n', b'\r\n'), 'BOM': lambda b: b'\xef\xbb\xbf' + b,
           'trailing blank line': lambda b: b + b'\n', 'CRLF, BOM and blank lines': lambda b: b'\xef\xbb\xbf' + b.replace(b'\n', b'\r\n') + b'\r\n\n'}

@pytest.mark.parametrize('variant', LIBERAL)
@pytest.mark.parametrize('name', ['ml-25m', 'ml-1m'])
def test_liberal_variants(tmp_path, monkeypatch, name, variant):
    "Windows line ends, a UTF-8 byte-order mark and blank lines at the end give the same tables, in the zip and in a folder."
    monkeypatch.setattr(mf, '_BLOCK', 64)  # many small reads: blank lines fall at the end of a read too
    rat, mov, _, r = make_release(name); r = replace(r, md5=None)
    want = read_release(make_folder(tmp_path/'plain', r, rat, mov), r)
    f = LIBERAL[variant]
    for src in (make_folder(tmp_path/'v', r, f(rat), f(mov)), tmp_path/'v.zip'):
        if src.suffix == '.zip': src.write_bytes(make_zip(r, f(rat), f(mov)))
        got = read_release(src, r)
        for a, b in zip(got[:2], want[:2]): pd.testing.assert_frame_equal(a, b)
        assert got[2] == want[2]

def make_folder(d: Path, r, rat: bytes, mov: bytes) -> Path:
    d.mkdir(parents=True); (d/r.ratings).write_bytes(rat); (d/r.movies).write_bytes(mov); return d

def test_bad_files(server, cache):
    rat, mov, _, r = make_release('ml-25m'); r = replace(r, md5=None)
    lines = rat.split(b'\n')
    failing(server, cache, 'ml-25m', make_zip(r, b'\n'.join(lines[:3] + lines[2:]), mov), r'line 4 rates movie \d+ by user 1 a second time \(first on line 3\)', r)
    failing(server, cache, 'ml-25m', make_zip(r, rat[:-1], mov), 'does not end with a newline', r)
    failing(server, cache, 'ml-25m', make_zip(r, rat.replace(b'userId', b'user'), mov), 'expected the header', r)
    failing(server, cache, 'ml-25m', make_zip(r, rat, mov.replace(b'\n3,', b'\n6,')), r'names movie 6 again', r)
    failing(server, cache, 'ml-25m', make_zip(r, rat, b'movieId,title,genres\n'), r'lacks \d+ movie ids rated', r)
    failing(server, cache, 'ml-25m', make_zip(r, rat, mov), 'expected 9,999 ratings, found', replace(r, n_ratings=9999))
    rat, mov, _, r = make_release('ml-latest-small'); r = replace(r, md5=None)
    assert len(ml.load_movielens(replace(r, n_ratings=r.n_ratings - 5), base_url=serve(server, 'ml-latest-small', make_zip(r, rat, mov))))
    (cache/'ml-latest-small').rename(cache/'old'); (cache/'ml-latest-small.zip').unlink(); import shutil; shutil.rmtree(cache/'old')
    failing(server, cache, 'ml-latest-small', make_zip(r, rat, mov), 'expected at least', replace(r, n_users=r.n_users + 1))

def test_missing_file_in_archive(server, cache):
    rat, mov, _, r = make_release('ml-10m')
    failing(server, cache, 'ml-10m', make_zip(r, rat, mov, drop='movies.dat'), r'lacks ml-10M100K/movies.dat', replace(r, md5=None))

def test_kept_zip_rechecked(server, cache):
    rat, mov, _, r = make_release('ml-1m'); z = make_zip(r, rat, mov); r = replace(r, md5=md5(z))
    ml.movielens(r, base_url=serve(server, 'ml-1m', z))
    import shutil; shutil.rmtree(cache/'ml-1m'); (cache/'ml-1m.zip').write_bytes(z[:-10])
    with pytest.raises(DataError, match=r'ml-1m.zip has MD5 .*delete .*ml-1m.zip'): ml.movielens(r, base_url='http://127.0.0.1:9')
    assert not (cache/'ml-1m').exists()

def test_stale_cache_rebuilt_and_broken_cache(server, cache):
    rat, mov, want, r = make_release('ml-25m'); z = make_zip(r, rat, mov)
    base = serve(server, 'ml-25m', z)
    ml.movielens(replace(r, md5=None), base_url=base)
    assert len(ml.load_movielens(replace(r, md5=md5(z)), base_url=base)) == len(want)  # another entry: rebuilt from the kept zip
    (cache/'ml-25m'/'rating.npy').write_bytes(b'junk')
    with pytest.raises(DataError, match=r'not a complete cache .*delete the folder'): ml.load_movielens(replace(r, md5=md5(z)))

def _build(r, base, q): q.put(str(ml.movielens(r, base_url=base)))

def test_concurrent_builds(server, cache):
    rat, mov, want, r = make_release('ml-32m', n_users=50); z = make_zip(r, rat, mov); r = replace(r, md5=md5(z))
    base, ctx = serve(server, 'ml-32m', z), mp.get_context('fork')
    q = ctx.Queue(); ps = [ctx.Process(target=_build, args=(r, base, q)) for _ in range(3)]
    for p in ps: p.start()
    for p in ps: p.join(60)
    assert [q.get(timeout=5) for _ in ps] == [str(cache/'ml-32m')] * 3
    assert sorted(p.name for p in cache.iterdir()) == ['ml-32m', 'ml-32m.lock', 'ml-32m.zip']
    assert len(ml.load_movielens(r)) == len(want)

def test_encode_ids():
    df = pd.DataFrame(dict(user=np.array([10, 3, 10], 'int32'), movie=np.array([7, 7, 200], 'int32'), rating=[1., 2., 3.]))
    codes, users, movies = ml.encode_ids(df)
    assert codes.user.tolist() == [1, 0, 1] and codes.movie.tolist() == [0, 0, 1] and codes.user.dtype == 'int32'
    assert users.tolist() == [3, 10] and movies.tolist() == [7, 200]
    codes, users, _ = ml.encode_ids(df.assign(user=np.array([5, 2**31 - 1, 5], 'int32')))  # a huge id: np.unique instead
    assert codes.user.tolist() == [0, 1, 0] and users.tolist() == [5, 2**31 - 1]

# ---- Issue 21, round two: every file of a parsed copy, damaged, is rebuilt or refused in one line --------------------

def npy_bytes(a) -> bytes: b = io.BytesIO(); np.save(b, a); return b.getvalue()
def json_of(x) -> bytes: import json; return json.dumps(x).encode()
def movies_of(folder: Path) -> dict: import json; return json.loads((folder/'movies.json').read_text())
def meta_with(folder: Path, **counts) -> bytes:
    import json; m = json.loads((folder/'meta.json').read_text()); m['counts'] |= counts; return json.dumps(m).encode()

# (case, file, new bytes made from the cache folder, outcome: a fragment of the DataError, or None: loads the release)
DAMAGED = [
    *[(f'{c}.npy empty', f'{c}.npy', lambda d: b'', f"{c}.npy can't be read") for c in ('user', 'movie', 'rating', 'timestamp')],
    ('rating.npy cut in half', 'rating.npy', lambda d: (d/'rating.npy').read_bytes()[:len((d/'rating.npy').read_bytes()) // 2], "rating.npy can't be read"),
    ('rating.npy header only', 'rating.npy', lambda d: (d/'rating.npy').read_bytes()[:128], "rating.npy can't be read"),
    ('rating.npy is text', 'rating.npy', lambda d: b'4.0\n3.5\n', "rating.npy can't be read"),
    ('rating.npy holds Python objects', 'rating.npy', lambda d: npy_bytes(np.array([{'x': 1}], dtype=object)), "rating.npy can't be read"),
    ('user.npy of another dtype', 'user.npy', lambda d: npy_bytes(np.load(d/'user.npy').astype('int64')), 'the column user do not hold'),
    ('user.npy one short', 'user.npy', lambda d: npy_bytes(np.load(d/'user.npy')[:-1]), 'the column user do not hold'),
    ('user.npy a column of one', 'user.npy', lambda d: npy_bytes(np.load(d/'user.npy')[:, None]), 'the column user do not hold'),
    ('a movie id negative', 'movie.npy', lambda d: npy_bytes(-np.load(d/'movie.npy')), 'a movie id is negative'),
    ('movies.json empty', 'movies.json', lambda d: b'', 'not a complete cache (JSONDecodeError'),
    ('movies.json a list', 'movies.json', lambda d: json_of([1, 2]), 'movies.json is not a table of movie and title'),
    ('movies.json without titles', 'movies.json', lambda d: json_of({'movie': movies_of(d)['movie']}), 'movies.json is not a table'),
    ('movies.json short of a rated movie', 'movies.json', lambda d: json_of({k: v[1:] for k, v in movies_of(d).items()}), 'movies.json lacks movies'),
    ('movies.json lists of two lengths', 'movies.json', lambda d: json_of(movies_of(d) | {'title': ['x']}), 'not a complete cache (ValueError'),
    ('meta.json counts a string', 'meta.json', lambda d: meta_with(d, n_ratings='12'), "meta.json counts '12' ratings"),
    ('meta.json counts none', 'meta.json', lambda d: meta_with(d, n_ratings=None), 'meta.json counts None ratings'),
    ('meta.json counts 0', 'meta.json', lambda d: meta_with(d, n_ratings=0), 'meta.json counts 0 ratings'),
    ('meta.json empty: rebuilt', 'meta.json', lambda d: b'', None),
    ('meta.json a list: rebuilt', 'meta.json', lambda d: b'[]', None),
]

@pytest.mark.parametrize('case,fn,make,msg', DAMAGED, ids=[c[0] for c in DAMAGED])
def test_damaged_cache(server, cache, case, fn, make, msg):
    rat, mov, want, r = make_release('ml-25m'); z = make_zip(r, rat, mov); r = replace(r, md5=md5(z))
    folder = ml.movielens(r, base_url=serve(server, 'ml-25m', z))
    (folder/fn).write_bytes(make(folder))
    if msg is None: assert len(ml.load_movielens(r, base_url=serve(server, 'ml-25m', z))) == len(want); return
    with pytest.raises(DataError) as e: ml.load_movielens(r)
    assert msg in str(e.value) and 'Fix: delete the folder' in str(e.value) and len(str(e.value).splitlines()) == 1, str(e.value)

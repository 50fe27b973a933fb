"Tests of collab_tutorial.interactions (nbs/14b_interactions.ipynb): every bad input gets its one message, liberal variants give the same table, ids stay as written."
import importlib.util
import numpy as np, pandas as pd, pytest
from collab_tutorial.data import DataError
from collab_tutorial.interactions import load_interactions

GOOD = b'user,movie,rating\nu1,m1,4\nu2,m1,3.5\n007,12345678901234567890123,5\n'
WANT = pd.DataFrame({'user': ['u1', 'u2', '007'], 'movie': ['m1', 'm1', '12345678901234567890123'],
                     'rating': np.array([4, 3.5, 5], np.float32)}).astype({'user': str, 'movie': str})

def write(tmp_path, data: bytes, name='x.csv'):
    p = tmp_path/name; p.write_bytes(data); return p

def test_ids_kept_as_written(tmp_path):
    df = load_interactions(write(tmp_path, GOOD), rating='rating')
    pd.testing.assert_frame_equal(df, WANT)
    assert df.movie.iat[2] == '12345678901234567890123' and df.user.iat[2] == '007'

LIBERAL = {
    'CRLF': GOOD.replace(b'\n', b'\r\n'),
    'BOM': b'\xef\xbb\xbf' + GOOD,
    'trailing blank line': GOOD + b'\n',
    'trailing blank lines, CRLF': GOOD.replace(b'\n', b'\r\n') + b'\r\n\r\n',
    'no newline at the end': GOOD[:-1],
    'every field quoted': b''.join(b','.join(b'"' + f + b'"' for f in l.split(b',')) + b'\n' for l in GOOD.splitlines()),
    'extra column, other order': b'rating,when,movie,user\n4,a,m1,u1\n3.5,b,m1,u2\n5,c,12345678901234567890123,007\n',
    'spaces around ratings': GOOD.replace(b',4\n', b', 4 \n'),
}

@pytest.mark.parametrize('variant', LIBERAL)
def test_liberal_variants_same_table(tmp_path, variant):
    pd.testing.assert_frame_equal(load_interactions(write(tmp_path, LIBERAL[variant]), rating='rating'), WANT)

def test_tsv_and_quoted_commas(tmp_path):
    pd.testing.assert_frame_equal(load_interactions(write(tmp_path, GOOD.replace(b',', b'\t'), 'x.tsv'), rating='rating'), WANT)
    df = load_interactions(write(tmp_path, b'user,movie\n"Ann, B",m1\n"say ""hi""",m2\n'))
    assert df.user.tolist() == ['Ann, B', 'say "hi"']

def test_repeats(tmp_path):
    p = write(tmp_path, b'user,movie,rating\na,x,1\nb,x,2\na,x,4\na,y,5\n')
    assert load_interactions(p, rating='rating', repeats='first').rating.tolist() == [1, 2, 5]
    assert load_interactions(p, rating='rating', repeats='last')[['user', 'rating']].values.tolist() == [['b', 2], ['a', 4], ['a', 5]]
    mean = load_interactions(p, rating='rating', repeats='mean')
    assert mean.values.tolist() == [['a', 'x', 2.5], ['b', 'x', 2.0], ['a', 'y', 5.0]] and mean.rating.dtype == 'float32'
    implicit = load_interactions(p)  # without ratings, a repeat says nothing new: the first is kept
    assert implicit.columns.tolist() == ['user', 'movie'] and len(implicit) == 3

def test_titles(tmp_path):
    df = load_interactions(write(tmp_path, GOOD), rating='rating',
                           titles=write(tmp_path, b'movie,name\nm1,"One, The"\n12345678901234567890123,Two\nm9,Unused\n', 't.csv'), title='name')
    assert df.columns.tolist() == ['user', 'movie', 'rating', 'title'] and df.title.tolist() == ['One, The', 'One, The', 'Two']

T = b'movie,title\nm1,One\n12345678901234567890123,Two\n'
BAD = [  # (case, file bytes, suffix, kwargs, exception, message fragment)
    ('empty file', b'', '.csv', {}, DataError, 'x.csv is empty'),
    ('only blank lines', b'\n\r\n', '.csv', {}, DataError, 'x.csv is empty'),
    ('header only', b'user,movie,rating\n', '.csv', {}, DataError, 'has a header line but no rows'),
    ('missing user column', GOOD, '.csv', dict(user='customer'), DataError,
     "has no column 'customer' (the user= argument); its columns are 'user', 'movie', 'rating'. Fix: pass user= one of those"),
    ('missing item column', GOOD, '.csv', dict(item='title'), DataError, "has no column 'title' (the item= argument)"),
    ('missing rating column', GOOD, '.csv', dict(rating='stars'), DataError, "has no column 'stars' (the rating= argument)"),
    ('header names a column twice', b'user,movie,user\nu,m,v\n', '.csv', {}, DataError, "names column 'user' twice"),
    ('more fields than the header', GOOD.replace(b'u1,m1,4', b'u1,m1,4,9'), '.csv', {}, DataError,
     'line 2 has 4 fields, but the header has 3 (user, movie, rating): no row is shifted'),
    ('fewer fields than the header', GOOD.replace(b'u2,m1,3.5', b'u2,m1'), '.csv', {}, DataError, 'line 3 has 2 fields, but the header has 3'),
    ('more fields, quoted file', GOOD.replace(b'u1,m1,4', b'"u1",m1,4,9'), '.csv', {}, DataError, 'line 2 has 4 fields'),
    ('blank line inside', GOOD.replace(b'\nu2', b'\n\nu2'), '.csv', {}, DataError, 'line 3 is empty'),
    ('NaN rating', GOOD.replace(b',3.5', b',nan'), '.csv', {}, DataError, "line 3, column 'rating' (rating=) is NaN"),
    ('infinite rating', GOOD.replace(b',3.5', b',-inf'), '.csv', {}, DataError, "line 3, column 'rating' (rating=) is infinite"),
    ('rating not a number', GOOD.replace(b',3.5', b',four'), '.csv', {}, DataError, "line 3, column 'rating' (rating=) is not a number: 'four'"),
    ('comma file named .tsv', GOOD, '.tsv', {}, DataError, "x.tsv has no column 'user' (the user= argument); its columns are 'user,movie,rating'"),
    ('decimal comma', GOOD.replace(b',3.5', b',"3,5"'), '.csv', {}, DataError, "line 3, column 'rating' (rating=) is not a number: '3,5'"),
    ('empty rating', GOOD.replace(b',3.5', b','), '.csv', {}, DataError, "line 3, column 'rating' (rating=) is empty"),
    ('rating beyond float32', GOOD.replace(b',3.5', b',1e39'), '.csv', {}, DataError, 'is too large for a float32 rating'),
    ('empty user', GOOD.replace(b'u2,', b','), '.csv', {}, DataError, "line 3, column 'user' (user=) is empty"),
    ('spaces around an id', GOOD.replace(b'u2,m1', b'u2, m1'), '.csv', {}, DataError,
     "line 3, column 'movie' (item=) has spaces around it (' m1'): ids are kept as written"),
    ('stray quote', GOOD.replace(b'u2,m1', b'"u"2",m1'), '.csv', {}, DataError, 'line 3 has a stray quote in a quoted field'),
    ('unclosed quote', GOOD.replace(b'u2,m1', b'"u2,m1'), '.csv', {}, DataError, 'line 3 opens a quote that is not closed on the same line'),
    ('lone carriage return', GOOD.replace(b'u2,m1,3.5\n', b'u2,m1,3.5\r'), '.csv', {}, DataError, 'line 3 holds a carriage return'),
    ('NUL byte', GOOD.replace(b'u2', b'u\x002'), '.csv', {}, DataError, 'line 3 holds a NUL byte'),
    ('not UTF-8', GOOD.replace(b'u2', b'caf\xe9'), '.csv', {}, DataError, 'line 3 is not UTF-8 text'),
    ('repeated pair with ratings', GOOD + b'u1,m1,2\n', '.csv', {}, DataError,
     "line 5 repeats user 'u1' with item 'm1' (first on line 2). Fix: pass repeats='first', 'last' or 'mean'"),
    ('unknown suffix', GOOD, '.xlsx', {}, DataError, "x.xlsx ends with '.xlsx': path= takes a .csv, .tsv, .parquet file"),
    ('no suffix', GOOD, '', {}, DataError, "ends with 'no suffix'"),
    ('item without a title', GOOD, '.csv', dict(titles=b'movie,title\nm1,One\n'), DataError,
     "t.csv has no title for 1 item of", ),
    ('item titled twice', GOOD, '.csv', dict(titles=T + b'm1,Uno\n'), DataError, "t.csv line 4 names item 'm1' again (first on line 2)"),
    ('empty title', GOOD, '.csv', dict(titles=T.replace(b'One', b'')), DataError, "t.csv line 2, column 'title' (title=) is empty"),
    ('title column missing', GOOD, '.csv', dict(titles=T, title='name'), DataError, "t.csv has no column 'name' (the title= argument)"),
    ('titles file of another kind', GOOD, '.csv', dict(titles='t.json'), DataError, "t.json ends with '.json': titles= takes"),
    ('unknown repeats', GOOD, '.csv', dict(repeats='sum'), ValueError, "repeats must be one of 'error', 'first', 'last', 'mean'; got 'sum'"),
    ('mean without ratings', GOOD, '.csv', dict(rating=None, repeats='mean'), ValueError, "repeats='mean' averages ratings: pass rating="),
    ('user and item the same', GOOD, '.csv', dict(item='user'), ValueError, 'must name different columns'),
    ('column name not text', GOOD, '.csv', dict(user=0), TypeError, 'user must be a column name, got 0'),
]

@pytest.mark.parametrize('case,data,suffix,kw,exc,msg', BAD, ids=[b[0] for b in BAD])
def test_bad_input(tmp_path, case, data, suffix, kw, exc, msg):
    kw = {'rating': 'rating', **kw}
    if isinstance(kw.get('titles'), bytes): kw['titles'] = write(tmp_path, kw['titles'], 't.csv')
    elif isinstance(kw.get('titles'), str): kw['titles'] = write(tmp_path, T, kw['titles'])
    with pytest.raises(exc) as e: load_interactions(write(tmp_path, data, 'x' + suffix), **kw)
    assert msg in str(e.value), str(e.value)
    assert '\n' not in str(e.value)

@pytest.mark.parametrize('path,exc,msg', [
    ('missing.csv', DataError, 'missing.csv does not exist: path= takes a .csv file'),
    ('folder.csv', DataError, 'folder.csv is a folder, not a file'),
    (3, TypeError, 'path must be a file path (str or Path), got int'),
])
def test_bad_path(tmp_path, path, exc, msg):
    (tmp_path/'folder.csv').mkdir()
    with pytest.raises(exc) as e: load_interactions(tmp_path/path if isinstance(path, str) else path)
    assert msg in str(e.value)

HAS_PYARROW = importlib.util.find_spec('pyarrow') is not None

@pytest.mark.skipif(HAS_PYARROW, reason='pyarrow is installed: Parquet is read')
def test_parquet_without_pyarrow(tmp_path):
    with pytest.raises(ImportError, match=r'^reading x.parquet \(Parquet\) needs pyarrow: pip install pyarrow'):
        load_interactions(write(tmp_path, b'PAR1', 'x.parquet'))

@pytest.mark.skipif(not HAS_PYARROW, reason='reading Parquet needs pyarrow, which is not installed')
def test_parquet(tmp_path):
    df = pd.DataFrame({'user': [10, 11, 10], 'item': ['a', 'b', 'b'], 'r': [1., 2., np.nan]})
    df.iloc[:2].to_parquet(tmp_path/'x.parquet')
    got = load_interactions(tmp_path/'x.parquet', item='item', rating='r')
    assert got.user.tolist() == [10, 11] and got.user.dtype == 'int64' and got.r.dtype == 'float32'  # Parquet keeps its types
    df.to_parquet(tmp_path/'y.parquet')
    with pytest.raises(DataError, match=r"y.parquet row 3, column 'r' \(rating=\) is empty"): load_interactions(tmp_path/'y.parquet', item='item', rating='r')

# The fast path (pandas' C parser on plain files) against the careful one (every line in Python): same tables, same errors.
import random
from collab_tutorial import interactions as I

def outcomes(monkeypatch, call, chunk=I.CHUNK):
    "What `call()` gives through the fast path (with chunks of `chunk` bytes) and through the careful one, and whether the fast one took the file."
    def result():
        try: return call()
        except Exception as e: return type(e), str(e)
    took, fast_table = [], I._fast_table
    def spy(*a):
        try: df = fast_table(*a)
        except Exception: took.append(True); raise  # it took the file, and refused it
        took.append(df is not None); return df
    with monkeypatch.context() as m:
        m.setattr(I, 'CHUNK', chunk); m.setattr(I, '_fast_table', spy); fast = result()
    with monkeypatch.context() as m:
        m.setattr(I, '_fast_table', lambda *a: None); careful = result()
    return fast, careful, took[:1] == [True]

def assert_same(fast, careful):
    if isinstance(careful, pd.DataFrame): pd.testing.assert_frame_equal(fast, careful)
    else: assert fast == careful, (fast, careful)

DECLINED = {'empty file', 'only blank lines', 'header only', 'more fields than the header', 'fewer fields than the header',
            'more fields, quoted file', 'blank line inside', 'decimal comma', 'stray quote', 'unclosed quote',
            'lone carriage return', 'NUL byte', 'not UTF-8', 'every field quoted',  # the files the fast path leaves to the careful one,
            'missing user column', 'missing item column', 'missing rating column', 'header names a column twice',  # and a bad header,
            'comma file named .tsv'}  # since a later line might hold an error that the careful reader reports first

@pytest.mark.parametrize('chunk', [I.CHUNK, 5])
@pytest.mark.parametrize('case,data,suffix,kw,exc,msg', BAD, ids=[b[0] for b in BAD])
def test_fast_path_same_errors(tmp_path, monkeypatch, chunk, case, data, suffix, kw, exc, msg):
    kw = {'rating': 'rating', **kw}
    if isinstance(kw.get('titles'), bytes): kw['titles'] = write(tmp_path, kw['titles'], 't.csv')
    elif isinstance(kw.get('titles'), str): kw['titles'] = write(tmp_path, T, kw['titles'])
    p = write(tmp_path, data, 'x' + suffix)
    fast, careful, took = outcomes(monkeypatch, lambda: load_interactions(p, **kw), chunk)
    assert careful[0] is exc and msg in careful[1]
    assert_same(fast, careful)
    assert took == (exc is DataError and suffix in ('.csv', '.tsv') and case not in DECLINED), case

@pytest.mark.parametrize('chunk', [I.CHUNK, 5])
@pytest.mark.parametrize('variant', [*LIBERAL, 'tsv', 'quoted commas', 'repeats first', 'repeats last', 'repeats mean', 'implicit', 'titles'])
def test_fast_path_same_tables(tmp_path, monkeypatch, chunk, variant):
    rep = b'user,movie,rating\na,x,1\nb,x,2\na,x,4\na,y,5\n'
    data, name, kw = {'tsv': (GOOD.replace(b',', b'\t'), 'x.tsv', {}), 'quoted commas': (b'user,movie\n"Ann, B",m1\n"say ""hi""",m2\n', 'x.csv', dict(rating=None)),
                      'repeats first': (rep, 'x.csv', dict(repeats='first')), 'repeats last': (rep, 'x.csv', dict(repeats='last')),
                      'repeats mean': (rep, 'x.csv', dict(repeats='mean')), 'implicit': (rep, 'x.csv', dict(rating=None)),
                      'titles': (GOOD, 'x.csv', dict(titles=write(tmp_path, b'movie,name\nm1,One The\n12345678901234567890123,Two\nm9,Unused\n', 't.csv'), title='name')),
                     }.get(variant, (LIBERAL.get(variant), 'x.csv', {}))
    p = write(tmp_path, data, name)
    fast, careful, took = outcomes(monkeypatch, lambda: load_interactions(p, **{'rating': 'rating', **kw}), chunk)
    assert isinstance(careful, pd.DataFrame)
    assert_same(fast, careful)
    assert took == (variant not in ('every field quoted', 'quoted commas'))

PIECES = ['u1', 'm1', '007', ',', ',', ',', '\n', '\n', '\r\n', '\r', '"', ' ', '3.5', '4', 'nan', 'inf', '1e39', 'é', '\t', '\ufeff', 'NA', '', 'True',
          '\x1a', '\x0c', '\x85', '\u2028', '#', '\\', "'"]

@pytest.mark.parametrize('seed', range(40))
def test_fast_path_random_files(tmp_path, monkeypatch, seed):
    "Random files from the pieces that matter to a reader: both paths give the same table or the same message."
    rng = random.Random(seed)
    for k in range(10):
        rows = [''.join(rng.choice(PIECES[:6] + PIECES[10:]) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 6))]
        rows = [r if rng.random() < 0.3 else ','.join(rng.choice(['u1', 'u2', '007', 'm1', 'm2']) for _ in range(2)) + ',' + rng.choice(['4', '3.5', ' 2 ', 'True', 'nan', r]) for r in rows]
        text = 'user,movie,rating' + ''.join(rng.choice(['\n', '\n', '\r\n', '\r']) + r for r in rows) + rng.choice(['', '\n', '\r\n', '\n\n'])
        p = write(tmp_path, (rng.choice(['', '\ufeff']) + text).encode('utf-8'), f'r{k}.csv')
        for kw in (dict(rating='rating'), dict(rating=None), dict(rating='rating', repeats='mean')):
            fast, careful, _ = outcomes(monkeypatch, lambda: load_interactions(p, **kw), rng.choice([I.CHUNK, 3, 11]))
            assert_same(fast, careful)

"""Error paths of `collab_tutorial.data` that notebook cells cannot reach well: bad `u.data` and `u.item` files,
bad paths, no source working, broken wheels, fastai's folder, leftovers of killed builds, and several processes
building the cache at once.

No test here needs the network, and none writes into the repository, the real `~/.fastai` or the real course
cache: each uses `tmp_path`, `FASTAI_HOME` and `COLLAB_TUTORIAL_CACHE`. The good data come from this machine's
usual source (read only)."""
import hashlib, os, shutil, subprocess, sys, textwrap, time, zipfile
from pathlib import Path
from urllib.error import URLError
import pandas as pd
import pytest
from fastai.data.external import fastai_cfg, untar_data, URLs
import collab_tutorial.data as data
from collab_tutorial.data import (DataError, check_ml100k, movielens_100k, read_udata, read_uitem, recbole_to_grouplens,
                                  share_with_fastai, data_summary, load_ratings)

# --- fixtures --------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def module_fastai_home(tmp_path_factory):
    "A fastai home for the whole module, so that nothing here touches the real ~/.fastai."
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('FASTAI_HOME', str(tmp_path_factory.mktemp('fastai_home')))
        fastai_cfg.cache_clear()
        yield
        fastai_cfg.cache_clear()
    fastai_cfg.cache_clear()

@pytest.fixture(autouse=True)
def _fastai_home_everywhere(module_fastai_home): yield

@pytest.fixture(scope='module')
def good(module_fastai_home) -> Path:
    "A checked ML-100K folder from this machine's usual source (found once, only read)."
    return movielens_100k()

@pytest.fixture
def fastai_home(monkeypatch, tmp_path) -> Path:
    "An empty fastai home of this test's own."
    home = tmp_path/'fastai_home'
    monkeypatch.setenv('FASTAI_HOME', str(home))
    fastai_cfg.cache_clear()
    yield home
    fastai_cfg.cache_clear()

@pytest.fixture
def isolated(monkeypatch, tmp_path, fastai_home):
    "No named folder, an empty fastai home, an empty course cache under tmp_path."
    monkeypatch.delenv('COLLAB_TUTORIAL_DATA', raising=False)
    monkeypatch.delenv('COLLAB_TUTORIAL_OFFLINE', raising=False)
    monkeypatch.setenv('COLLAB_TUTORIAL_CACHE', str(tmp_path/'cache'))
    return tmp_path

def fastai_folder() -> Path: return fastai_cfg().path('data')/'ml-100k'

def copy_with(good, dest, data_bytes=None, item_bytes=None, drop=()):
    "A copy of the good folder with u.data / u.item replaced by the given bytes, or dropped."
    dest.mkdir(parents=True, exist_ok=True)
    for fn, new in (('u.data', data_bytes), ('u.item', item_bytes)):
        if fn in drop: continue
        if new is None: shutil.copy(good/fn, dest/fn)
        else: (dest/fn).write_bytes(new)
    return dest

def leftovers(folder: Path): return sorted(p.name for p in folder.glob('.ml-100k-*'))

def no_network(*a, **k): raise AssertionError('the test tried to download')

# --- bad u.data files: one row per way of breaking it ----------------------------------------------------

def _line(b, i, new):
    "`b` with line `i` (from 1) replaced by `new`."
    lines = b.split(b'\n'); lines[i-1] = new
    return b'\n'.join(lines)

def _field(b, i, j, new):
    "`b` with field `j` (from 0) of line `i` replaced by `new`."
    lines = b.split(b'\n'); f = lines[i-1].split(b'\t'); f[j] = new; lines[i-1] = b'\t'.join(f)
    return b'\n'.join(lines)

def _cut_mid_last_line(b):
    last = b[:-1].rsplit(b'\n', 1)[1]
    return b[:-len(last)-1] + last.split(b'\t')[0] + b'\t'

BAD_UDATA = [  # (id, how to break the good bytes, a fragment the message must contain)
    ('empty',               lambda b: b'',                                   'u.data is empty'),
    ('half, at a line end', lambda b: b[:b.index(b'\n', len(b)//2)+1],       'u.data: expected 100,000 for n_ratings, found 50,'),
    ('cut in a number',     lambda b: b[:-4],                                'u.data does not end with a newline: it was cut short'),
    ('cut after a tab',     _cut_mid_last_line,                              'does not end with a newline: it was cut short'),
    ('old Mac CR endings',  lambda b: b.replace(b'\n', b'\r'),               'u.data line 1 holds a carriage return'),
    ('last line lone CR',   lambda b: b[:-1] + b'\r',                        'u.data line 100,000 holds a carriage return'),
    ('CR inside a line',    lambda b: _field(b, 5, 2, b'3\r\r'),             'u.data line 5 holds a carriage return'),
    ('CRLF, one line cut',  lambda b: b.replace(b'\n', b'\r\n')[:-2],          'u.data does not end with a newline'),
    ('commas',              lambda b: b.replace(b'\t', b','),                'u.data line 1 has 1 tab-separated field, expected 4'),
    ('spaces',              lambda b: b.replace(b'\t', b' '),                'u.data line 1 has 1 tab-separated field, expected 4'),
    ('a field too many',    lambda b: _line(b, 5, b.split(b'\n')[4] + b'\t0'), 'u.data line 5 has 5 tab-separated fields, expected 4'),
    ('a field too few',     lambda b: _line(b, 7, b.split(b'\n')[6].rsplit(b'\t', 1)[0]), 'u.data line 7 has 3 tab-separated fields'),
    ('empty field',         lambda b: _field(b, 3, 2, b''),                  "u.data line 3 has rating '', which is not a whole number"),
    ('half star',           lambda b: _field(b, 3, 2, b'3.5'),               "line 3 has rating '3.5', which is not a whole number"),
    ('NaN rating',          lambda b: _field(b, 3, 2, b'nan'),               "line 3 has rating 'nan', which is not a whole number"),
    ('infinite rating',     lambda b: _field(b, 3, 2, b'inf'),               "line 3 has rating 'inf', which is not a whole number"),
    ('negative user',       lambda b: _field(b, 2, 0, b'-5'),                "line 2 has user '-5', which is not a whole number"),
    ('huge timestamp',      lambda b: _field(b, 2, 3, b'9'*30),              "line 2 has timestamp '999"),
    ('trailing space',      lambda b: _field(b, 2, 3, b'881250949 '),        "line 2 has timestamp '881250949 '"),
    ('header line',         lambda b: b'user\tmovie\trating\ttimestamp\n' + b, "line 1 has user 'user', which is not a whole number"),
    ('rating 7',            lambda b: _field(b, 3, 2, b'7'),                 'u.data line 3 has rating 7: ratings must be 1 to 5 stars'),
    ('rating 0',            lambda b: _field(b, 3, 2, b'0'),                 'u.data line 3 has rating 0: ratings must be 1 to 5 stars'),
    ('user id 0',           lambda b: _field(b, 4, 0, b'0'),                 'u.data line 4 has user 0, movie'),
    ('blank line inside',   lambda b: _line(b, 10, b''),                     'u.data line 10 is empty'),
    ('only blank lines',    lambda b: b'\r\n\n',                           'u.data is empty but for blank lines'),
    ('UTF-8 BOM alone',     lambda b: b'\xef\xbb\xbf',                       'u.data is empty'),
    ('UTF-16',              lambda b: b.decode('latin-1').encode('utf-16'),  'u.data starts with a UTF-16 byte-order mark'),
    ('UTF-16 without BOM',  lambda b: b.decode('latin-1').encode('utf-16-le'), 'u.data holds a NUL byte on line 1'),
    ('NUL bytes',           lambda b: _field(b, 9, 1, b'\0\0'),              'u.data holds a NUL byte on line 9'),
    ('a rating twice',      lambda b: _line(b, 2, b.split(b'\n')[0]),        'u.data line 2 rates movie 242 by user 196 a second time (first on line 1)'),
    ('unknown movie',       lambda b: _field(b, 1, 1, b'1683'),              'u.item lacks 1 movie id used in u.data (e.g. 1683)'),
]

# --- bad u.item files ------------------------------------------------------------------------------------

def _item_line(b, movie, new):
    "`b` with the line of `movie` replaced by `new` (None: removed)."
    lines = b.split(b'\n')
    i = next(i for i, l in enumerate(lines) if l.startswith(b'%d|' % movie))
    if new is None: del lines[i]
    else: lines[i] = new(lines[i])
    return b'\n'.join(lines)

def _item_field(b, movie, j, new):
    return _item_line(b, movie, lambda l: b'|'.join(new if k == j else f for k, f in enumerate(l.split(b'|'))))

def _cut_in_last_title(b):
    "Cut inside the last title: 'Scream of Stone (Sch'."
    i = b.rindex(b'Scream of Stone (Sch') + len(b'Scream of Stone (Sch')
    return b[:i]

BAD_UITEM = [
    ('empty',                lambda b: b'',                                      'u.item is empty'),
    ('cut in the last title', _cut_in_last_title,                                'u.item does not end with a newline: it was cut short'),
    ('cut, newline added',   lambda b: _cut_in_last_title(b) + b'\n',            'u.item line 1,682 has 2 `|`-separated fields, expected 24'),
    ('half, at a line end',  lambda b: b[:b.index(b'\n', len(b)//2)+1],          'u.item lacks'),
    ('GoldenEye no title',   lambda b: _item_field(b, 2, 1, b''),                'u.item line 2 gives movie 2 an empty title'),
    ('title of spaces',      lambda b: _item_field(b, 2, 1, b'   '),             'u.item line 2 gives movie 2 an empty title'),
    ('title field missing',  lambda b: _item_line(b, 2, lambda l: l.replace(b'GoldenEye (1995)|', b'')), 'u.item line 2 has 23 `|`-separated fields, expected 24'),
    ('a field too many',     lambda b: _item_line(b, 5, lambda l: l + b'|0'),    'u.item line 5 has 25 `|`-separated fields'),
    ('tab separated',        lambda b: b.replace(b'|', b'\t'),                   'u.item line 1 has 1 `|`-separated field, expected 24'),
    ('movie listed twice',   lambda b: _item_field(b, 3, 0, b'2'),               'u.item line 3 names movie 2 again (first on line 2)'),
    ('id not a number',      lambda b: _item_field(b, 3, 0, b'three'),           "u.item line 3 has movie id 'three', which is not a whole number"),
    ('id with a sign',       lambda b: _item_field(b, 3, 0, b'-3'),              "u.item line 3 has movie id '-3'"),
    ('id missing',           lambda b: _item_field(b, 3, 0, b''),                "u.item line 3 has movie id ''"),
    ('genre flag 2',         lambda b: _item_field(b, 4, 7, b'2'),               'u.item line 4 has a genre flag that is not 0 or 1'),
    ('tab in a title',       lambda b: _item_field(b, 4, 1, b'Get\tShorty (1995)'), 'u.item line 4 has a control character'),
    ('blank line',           lambda b: _item_line(b, 9, lambda l: b''),          'u.item line 9 is empty'),
    ('a movie dropped',      lambda b: _item_line(b, 50, None),                  'u.item lacks 1 movie id used in u.data (e.g. 50)'),
    ('a movie added',        lambda b: b + b'1683|Extra (1999)||||' + b'|'.join([b'0']*19) + b'\n', 'u.item: expected 1,682 for n_movies, found 1,683'),
    ('a title renamed',      lambda b: _item_field(b, 2, 1, b'Toy Story (1995)'), 'u.item: expected 1,664 for n_titles, found 1,663'),
    ('re-saved as UTF-8',    lambda b: b.decode('latin-1').encode('utf-8'),      'u.item is UTF-8 text, but GroupLens writes u.item in latin-1'),
    ('UTF-8 with BOM',       lambda b: b'\xef\xbb\xbf' + b.decode('latin-1').encode('utf-8'), 'u.item is UTF-8 text, but GroupLens writes'),
    ('UTF-16',               lambda b: b.decode('latin-1').encode('utf-16'),     'u.item starts with a UTF-16 byte-order mark'),
    ('NUL bytes',            lambda b: _item_field(b, 7, 1, b'\0'),              'u.item holds a NUL byte on line 7'),
    ('old Mac CR endings',   lambda b: b.replace(b'\n', b'\r'),                  'u.item line 1 holds a carriage return'),
    ('last line lone CR',    lambda b: b[:-1] + b'\r',                           'u.item line 1,682 holds a carriage return'),
]

BAD_FILES = [('data_bytes', 'u.data', *c) for c in BAD_UDATA] + [('item_bytes', 'u.item', *c) for c in BAD_UITEM]

@pytest.mark.parametrize('arg,fn,break_it,fragment', [c[:2] + c[3:] for c in BAD_FILES], ids=[f'{c[1]}: {c[2]}' for c in BAD_FILES])
def test_bad_file(good, tmp_path, arg, fn, break_it, fragment):
    "Each damaged u.data or u.item gets one line that says what is wrong, where, and the fix."
    d = copy_with(good, tmp_path/'bad', **{arg: break_it((good/fn).read_bytes())})
    with pytest.raises(DataError) as e: check_ml100k(d)
    msg = str(e.value)
    assert fragment in msg, msg
    assert 'Fix: ' in msg and '\n' not in msg, msg  # one line (the command line prints it so), with the fix

SAME_TEXT = {  # an editor's changes whose meaning is plain: each gives the very same table
    'CRLF line ends':         lambda b: b.replace(b'\n', b'\r\n'),
    'some lines CRLF':        lambda b: b.replace(b'\n', b'\r\n', 7),
    'UTF-8 byte-order mark':  lambda b: b'\xef\xbb\xbf' + b,
    'a blank line at the end': lambda b: b + b'\n',
    'all three':              lambda b: b'\xef\xbb\xbf' + b.replace(b'\n', b'\r\n') + b'\r\n\n',
}

@pytest.mark.parametrize('change', SAME_TEXT, ids=list(SAME_TEXT))
def test_same_text_same_table(good, tmp_path, change):
    "u.data and u.item re-saved by an editor (line ends, a byte-order mark, blank lines at the end) read as the originals."
    d = copy_with(good, tmp_path/'edited', **{k: SAME_TEXT[change]((good/fn).read_bytes())
                                              for k, fn in (('data_bytes', 'u.data'), ('item_bytes', 'u.item'))})
    assert check_ml100k(d) == d
    pd.testing.assert_frame_equal(read_udata(d/'u.data'), read_udata(good/'u.data'))
    pd.testing.assert_frame_equal(read_uitem(d/'u.item'), read_uitem(good/'u.item'))

def test_uitem_has_grouplens_layout(good):
    "24 fields on every line, as GroupLens writes them (the mirror's copy leaves dates and links empty)."
    lines = (good/'u.item').read_bytes().split(b'\n')
    assert lines[-1] == b'' and {l.count(b'|') for l in lines[:-1]} == {23}
    titles = read_uitem(good/'u.item').title
    assert titles.str.len().min() > 0 and len(titles) == 1682

# --- bad paths where a file or folder should be ----------------------------------------------------------

def _folder(p): p.mkdir()
def _fifo(p): os.mkfifo(p)
def _device(p): p.symlink_to('/dev/zero')
def _broken_link(p): p.symlink_to(p.parent/'nowhere')
def _huge(p):
    with open(p, 'wb') as f: f.truncate(25_000_000)  # sparse: no disk used
def _unreadable(p): p.write_bytes(b'1\t1\t1\t1\n'); p.chmod(0)

BAD_PATHS = [
    pytest.param(_folder,       'is a folder, not a file', id='folder'),
    pytest.param(_fifo,         'is a named pipe (FIFO), not a file', id='FIFO'),
    pytest.param(_device,       'is a character device, not a file', id='device'),
    pytest.param(_broken_link,  'is a broken symbolic link', id='broken link'),
    pytest.param(lambda p: None, 'is missing: expected the', id='missing'),
    pytest.param(_huge,         'is 25,000,000 bytes, more than the', id='huge'),
    pytest.param(_unreadable,   'cannot be read (PermissionError', id='unreadable',
                 marks=pytest.mark.skipif(os.geteuid() == 0, reason='root reads any file whatever its mode')),
]

@pytest.mark.parametrize('fn', ['u.data', 'u.item'])
@pytest.mark.parametrize('make,fragment', BAD_PATHS)
def test_bad_path(good, tmp_path, fn, make, fragment):
    "Checked before opening: a pipe or a device is never read (that would hang or never end)."
    d = copy_with(good, tmp_path/'bad', drop=(fn,))
    make(d/fn)
    with pytest.raises(DataError) as e: check_ml100k(d)
    msg = str(e.value)
    assert f'{d/fn} {fragment}' in msg and 'Fix: ' in msg, msg

@pytest.mark.parametrize('make,fragment', [(lambda p: p.write_text('x'), 'is a file, not a folder'),
                                           (lambda p: None, 'does not exist'),
                                           (os.mkfifo, 'is a named pipe (FIFO), not a folder')],
                         ids=['file', 'missing', 'FIFO'])
def test_check_ml100k_on_a_non_folder(tmp_path, make, fragment):
    p = tmp_path/'ml-100k'
    make(p)
    with pytest.raises(DataError, match='expected a folder holding u.data and u.item') as e: check_ml100k(p)
    assert f'{p} {fragment}' in str(e.value)

def test_readers_take_paths_only(tmp_path):
    with pytest.raises(TypeError): read_udata(None)
    with pytest.raises(TypeError): movielens_100k(123)
    with pytest.raises(DataError, match='dest is an empty string'): movielens_100k('')

# --- the fix depends on where the folder came from -------------------------------------------------------

def test_missing_named_folder(isolated, monkeypatch):
    monkeypatch.setattr(data, 'download_ml100k', no_network)
    missing = isolated/'no such folder'
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(missing))
    with pytest.raises(DataError) as e: movielens_100k()
    msg = str(e.value)
    assert msg.startswith(f'The folder COLLAB_TUTORIAL_DATA names, {missing}, does not exist. Fix: set COLLAB_TUTORIAL_DATA'), msg
    assert 'delete' not in msg and 'u.data' in msg
    with pytest.raises(DataError, match=r'The folder `dest` names, .*, does not exist\. Fix: pass `dest`'): movielens_100k(missing)
    f = isolated/'a file'; f.write_text('')
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(f))
    with pytest.raises(DataError, match=r'COLLAB_TUTORIAL_DATA names, .*, is a file, not a folder'): movielens_100k()

@pytest.mark.parametrize('origin,fix', [
    ('dest',   'Fix: pass `dest` a folder holding the GroupLens u.data and u.item'),
    ('env',    'Fix: set COLLAB_TUTORIAL_DATA to a folder holding the GroupLens u.data and u.item'),
    ('cache',  "(built by this course from the PyPI mirror) and run again to rebuild it"),
    ('fastai', "(where fastai's untar_data(URLs.ML_100k) keeps the data) and run again to download or rebuild it"),
])
def test_fix_depends_on_the_source(good, isolated, monkeypatch, origin, fix):
    monkeypatch.setattr(data, 'download_ml100k', no_network)
    folder = {'dest': isolated/'mine', 'env': isolated/'mine', 'cache': isolated/'cache'/'ml-100k',
              'fastai': fastai_folder()}[origin]
    copy_with(good, folder, drop=('u.item',))
    if origin == 'env': monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(folder))
    with pytest.raises(DataError) as e: movielens_100k(folder if origin == 'dest' else None)
    msg = str(e.value)
    assert f'{folder/"u.item"} is missing' in msg and fix in msg, msg
    if origin in ('cache', 'fastai'): assert f'Fix: delete the folder {folder} ' in msg
    else: assert 'delete' not in msg

def test_named_folder_via_env_is_checked_not_skipped(good, isolated, monkeypatch):
    "A broken folder named in COLLAB_TUTORIAL_DATA is an error, never a silent fallback to another source."
    d = copy_with(good, isolated/'noitem', drop=('u.item',))
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(d))
    with pytest.raises(DataError, match=r'u\.item is missing'): movielens_100k()

def test_dest_wins_over_env(good, isolated, monkeypatch):
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(isolated/'nowhere'))
    assert movielens_100k(good) == good

def test_empty_env_vars_mean_unset(monkeypatch, tmp_path):
    monkeypatch.setenv('COLLAB_TUTORIAL_CACHE', '')
    assert data.cache_dir() == Path.home()/'.cache'/'collab_tutorial'
    monkeypatch.setenv('COLLAB_TUTORIAL_CACHE', '~/somewhere')
    assert data.cache_dir() == Path.home()/'somewhere'
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', '')
    assert data._named(None) == (None, None)

# --- no source works -------------------------------------------------------------------------------------

def test_no_source_works_gives_one_error_listing_both(isolated, monkeypatch):
    def no_web(): raise URLError('[Errno -3] Temporary failure in name resolution')
    def no_pip(dest): raise DataError('`pip download recbole==1.2.1` failed: No matching distribution found')
    monkeypatch.setattr(data, 'download_ml100k', no_web)
    monkeypatch.setattr(data, 'fetch_recbole_wheel', no_pip)
    with pytest.raises(DataError) as e: movielens_100k()
    msg = str(e.value)
    assert 'No source of MovieLens 100K worked' in msg
    assert 'untar_data' in msg and 'URLError' in msg and 'name resolution' in msg  # the download, and why it failed
    assert 'recbole==1.2.1' in msg and 'No matching distribution' in msg           # the mirror, and why it failed
    assert 'COLLAB_TUTORIAL_DATA' in msg and 'ml-100k.zip' in msg                  # the fix
    cache = isolated/'cache'
    assert not (cache/'ml-100k').exists(), "a failed build must not leave a cache folder behind"
    assert leftovers(cache) == []
    assert not os.path.lexists(fastai_folder())

def test_offline_skips_download_and_says_so(isolated, monkeypatch, capsys):
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', '1')
    monkeypatch.setattr(data, 'download_ml100k', no_network)
    monkeypatch.setattr(data, 'fetch_recbole_wheel', lambda dest: (_ for _ in ()).throw(DataError('pip failed')))
    with pytest.raises(DataError, match='download with untar_data.*: skipped, COLLAB_TUTORIAL_OFFLINE is set'):
        movielens_100k(verbose=True)
    out = capsys.readouterr().out
    assert 'Not downloading (COLLAB_TUTORIAL_OFFLINE is set)' in out and 'Download failed' not in out, out

@pytest.mark.parametrize('value,downloads', [('1', False), ('true', False), ('YES', False), ('0', True), ('', True), ('off', True)])
def test_offline_values(isolated, monkeypatch, value, downloads):
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', value)
    tried = []
    def no_web(): tried.append(1); raise URLError('offline')
    monkeypatch.setattr(data, 'download_ml100k', no_web)
    monkeypatch.setattr(data, 'fetch_recbole_wheel', lambda dest: (_ for _ in ()).throw(DataError('pip failed')))
    with pytest.raises(DataError, match='No source'): movielens_100k()
    assert bool(tried) == downloads

def test_offline_bad_value_fails_first(isolated, monkeypatch, good):
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', 'maybe')
    with pytest.raises(DataError, match="COLLAB_TUTORIAL_OFFLINE is 'maybe'. Fix: set it to 1"): movielens_100k(good)

def test_unwritable_cache_location_says_COLLAB_TUTORIAL_CACHE(isolated, monkeypatch):
    "COLLAB_TUTORIAL_CACHE below a regular file: refused before pip runs, and the fix names the variable."
    (isolated/'a file').write_text('not a folder')
    monkeypatch.setenv('COLLAB_TUTORIAL_CACHE', str(isolated/'a file'/'cache'))
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', '1')
    monkeypatch.setattr(data, 'fetch_recbole_wheel', no_network)
    with pytest.raises(DataError) as e: movielens_100k()
    msg = str(e.value)
    assert f"cannot write to the folder {isolated/'a file'/'cache'} (NotADirectoryError" in msg, msg
    assert msg.splitlines()[-1].startswith('Fix: set COLLAB_TUTORIAL_CACHE to a folder you can write to'), msg
    with pytest.raises(DataError, match='Fix: set COLLAB_TUTORIAL_CACHE'): data.mirror_ml100k()

# --- broken wheels ---------------------------------------------------------------------------------------

def fake_wheel(fn: Path, compression=zipfile.ZIP_DEFLATED) -> Path:
    "A small zip laid out like the recbole wheel (a few ratings, one movie)."
    with zipfile.ZipFile(fn, 'w', compression) as z:
        z.writestr(data._RB+'.inter', 'user_id:token\titem_id:token\trating:float\ttimestamp:float\n'
                   + ''.join(f'{i}\t{i*7%13+1}\t{i%5+1}\t{880000000+i}\n' for i in range(1, 3000)))
        z.writestr(data._RB+'.item', 'item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n'
                   '1\tToy Story\t1995\tAnimation Comedy\n')
    return fn

def test_fake_wheel_converts(tmp_path):
    "The fake wheel is good enough to convert: the failures below come from the damage, not from the fake."
    out = tmp_path/'out'; out.mkdir()
    recbole_to_grouplens(fake_wheel(tmp_path/'w.whl'), out)
    assert (out/'u.item').read_text(encoding='latin-1') == '1|Toy Story (1995)||||0|0|0|1|0|1|' + '|'.join('0'*13) + '\n'
    assert read_uitem(out/'u.item').title.tolist() == ['Toy Story (1995)']
    assert len(read_udata(out/'u.data')) == 2999

@pytest.mark.parametrize('damage', ['truncated', 'not a zip', 'empty', 'missing member'])
def test_bad_wheel(tmp_path, damage):
    fn = fake_wheel(tmp_path/'w.whl')
    b = fn.read_bytes()
    if damage == 'truncated': fn.write_bytes(b[:len(b)//2])
    elif damage == 'not a zip': fn.write_bytes(b'<html>503 Service Unavailable</html>')
    elif damage == 'empty': fn.write_bytes(b'')
    else:
        with zipfile.ZipFile(fn, 'w') as z: z.writestr('recbole/__init__.py', '')
    out = tmp_path/'out'; out.mkdir()
    with pytest.raises(DataError, match='not a complete recbole 1.2.1 wheel'): recbole_to_grouplens(fn, out)

def test_garbled_wheel(tmp_path):
    "Bytes flipped inside the compressed data (headers intact), as a bad disk or a broken proxy might do."
    fn = fake_wheel(tmp_path/'w.whl')
    info = zipfile.ZipFile(fn).getinfo(data._RB+'.inter')
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    b = bytearray(fn.read_bytes())
    mid = start + info.compress_size//2
    b[mid:mid+8] = bytes(x ^ 0xff for x in b[mid:mid+8])
    fn.write_bytes(bytes(b))
    out = tmp_path/'out'; out.mkdir()
    with pytest.raises(DataError): recbole_to_grouplens(fn, out)

def fake_pip(write: bytes | None, rc=0, stderr=''):
    "A stand-in for `subprocess.run(pip download ...)` that leaves `write` as the wheel file."
    def run(cmd, **kw):
        dest = Path(cmd[cmd.index('-d')+1])
        if write is not None: (dest/data.RECBOLE_WHEEL).write_bytes(write)
        return subprocess.CompletedProcess(cmd, rc, stdout='', stderr=stderr)
    return run

def test_half_downloaded_wheel_fails_sha256(tmp_path, monkeypatch):
    monkeypatch.setattr(data.subprocess, 'run', fake_pip(fake_wheel(tmp_path/'w.whl').read_bytes()[:500]))
    (tmp_path/'dl').mkdir()
    with pytest.raises(DataError, match='SHA-256') as e: data.fetch_recbole_wheel(tmp_path/'dl')
    assert data.RECBOLE_SHA256 in str(e.value) and 'incomplete or altered' in str(e.value)

def test_pip_download_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(data.subprocess, 'run', fake_pip(None, rc=1, stderr='ERROR: No matching distribution found for recbole==1.2.1'))
    with pytest.raises(DataError, match='No matching distribution'): data.fetch_recbole_wheel(tmp_path)

def test_pip_that_hangs_is_stopped(tmp_path, monkeypatch):
    def hang(cmd, **kw): raise subprocess.TimeoutExpired(cmd, kw['timeout'])
    monkeypatch.setattr(data.subprocess, 'run', hang)
    with pytest.raises(DataError, match='took more than 15 minutes'): data.fetch_recbole_wheel(tmp_path)

def test_mirror_with_bad_wheel_leaves_nothing_behind(isolated, monkeypatch):
    "A wheel that fails its hash stops the build; no cache folder and no temporary folder remain."
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', '1')
    monkeypatch.setattr(data.subprocess, 'run', fake_pip(b'PK\x03\x04 half a wheel'))
    with pytest.raises(DataError, match='SHA-256'): movielens_100k()
    cache = isolated/'cache'
    assert not (cache/'ml-100k').exists() and leftovers(cache) == []

# --- leftovers of killed builds --------------------------------------------------------------------------

def _stale_build(folder: Path, name='.ml-100k-k1ll3d_x') -> Path:
    "What a build killed after downloading the wheel leaves: a temporary folder with the wheel in it."
    p = folder/name
    (p/'out').mkdir(parents=True)
    (p/data.RECBOLE_WHEEL).write_bytes(b'PK' + b'\0'*1000)
    return p

def test_stale_cache_temporaries_removed_by_the_next_build(isolated, monkeypatch, good):
    cache = isolated/'cache'
    stale = _stale_build(cache)
    other = cache/'.ml-100k-not-mine'; other.mkdir()           # not a name our builds use: left alone
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', '1')
    def fetch(dest): shutil.copy(good/'u.data', Path(dest)/'d'); return Path(dest)/'w'
    def convert(wheel, out): copy_with(good, Path(out)); return out
    monkeypatch.setattr(data, 'fetch_recbole_wheel', fetch)
    monkeypatch.setattr(data, 'recbole_to_grouplens', convert)
    assert movielens_100k() == cache/'ml-100k'
    assert not stale.exists() and other.exists() and leftovers(cache) == ['.ml-100k-not-mine']

KILLED_BUILD = textwrap.dedent('''
    import time
    from pathlib import Path
    import collab_tutorial.data as data
    def fetch(dest):  # the download has finished when the process is killed
        (Path(dest)/data.RECBOLE_WHEEL).write_bytes(b'PK' + bytes(2_000_000))
        print('downloaded', flush=True); time.sleep(600)
    data.fetch_recbole_wheel = fetch
    data.mirror_ml100k()
''')

def test_killed_build_leaves_a_temporary_that_the_next_run_removes(isolated, monkeypatch, good):
    "A build killed (SIGKILL) after its download leaves its folder with the wheel; the next successful run removes it."
    cache = isolated/'cache'
    p = subprocess.Popen([sys.executable, '-c', KILLED_BUILD], env=dict(os.environ), cwd=isolated,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try: assert p.stdout.readline().strip() == 'downloaded', p.stderr.read()[-2000:]
    finally: p.kill(); p.wait()
    assert len(leftovers(cache)) == 1 and not (cache/'ml-100k').exists()
    def fetch(dest): return Path(dest)/'w'
    def convert(wheel, out): copy_with(good, Path(out)); return out
    monkeypatch.setattr(data, 'fetch_recbole_wheel', fetch)
    monkeypatch.setattr(data, 'recbole_to_grouplens', convert)
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', '1')
    assert movielens_100k() == cache/'ml-100k'
    assert leftovers(cache) == []

def test_stale_temporaries_removed_when_the_cache_exists(isolated, good):
    "A build killed after its rename left its folder behind although the cache is complete."
    cache = isolated/'cache'
    copy_with(good, cache/'ml-100k')
    stale = _stale_build(cache)
    movielens_100k()
    assert not stale.exists() and leftovers(cache) == []

def test_stale_temporaries_left_while_a_build_holds_the_lock(isolated, good):
    from filelock import FileLock
    cache = isolated/'cache'
    copy_with(good, cache/'ml-100k')
    stale = _stale_build(cache)
    with FileLock(f"{cache/'ml-100k'}.lock"):  # as if another process were building now
        movielens_100k(good)
    assert stale.exists()

# --- fastai's folder: the book's untar_data(URLs.ML_100k) finds the data ---------------------------------

def test_untar_data_finds_the_shared_copy(isolated, good, monkeypatch, capsys):
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(good))
    assert not os.path.lexists(fastai_folder())
    assert movielens_100k(verbose=True) == good
    assert 'Copied u.data and u.item to' in capsys.readouterr().out
    f = fastai_folder()
    assert str(f).startswith(str(isolated)), 'the test must not write into the real ~/.fastai'
    monkeypatch.setattr('fastdownload.FastDownload.download', no_network)
    path = untar_data(URLs.ML_100k)
    assert path == f and sorted(p.name for p in path.iterdir()) == ['u.data', 'u.item']
    for fn in ('u.data', 'u.item'): assert (path/fn).read_bytes() == (good/fn).read_bytes()
    # the book's own reading code
    ratings = pd.read_csv(path/'u.data', delimiter='\t', header=None, names=['user','movie','rating','timestamp'])
    movies = pd.read_csv(path/'u.item', delimiter='|', encoding='latin-1', usecols=(0,1), names=('movie','title'), header=None)
    assert ratings.merge(movies).shape == (100_000, 5)
    assert leftovers(f.parent) == []
    # later runs use fastai's folder and copy nothing
    monkeypatch.delenv('COLLAB_TUTORIAL_DATA')
    assert movielens_100k(verbose=True) == f
    out = capsys.readouterr().out
    assert "Using the folder fastai's untar_data(URLs.ML_100k) returns" in out and 'Copied' not in out

@pytest.mark.parametrize('what', ['folder with other files', 'empty folder', 'file'])
def test_existing_fastai_folder_is_never_touched(isolated, good, what):
    f = fastai_folder()
    f.parent.mkdir(parents=True)
    if what == 'file': f.write_text('mine')
    else:
        f.mkdir()
        if what != 'empty folder': (f/'README').write_text('mine')
    before = sorted(p.name for p in f.iterdir()) if f.is_dir() else f.read_text()
    assert share_with_fastai(good) is None
    assert (sorted(p.name for p in f.iterdir()) if f.is_dir() else f.read_text()) == before

def test_broken_fastai_folder_is_an_error_that_says_delete_it(isolated, good):
    copy_with(good, fastai_folder(), data_bytes=(good/'u.data').read_bytes()[:-4])
    with pytest.raises(DataError, match=r"u\.data does not end with a newline.*Fix: delete the folder .*untar_data"):
        movielens_100k()

def test_unwritable_fastai_home_warns_and_goes_on(isolated, good, monkeypatch):
    (isolated/'a file').write_text('x')
    monkeypatch.setenv('FASTAI_HOME', str(isolated/'a file'/'fastai'))
    fastai_cfg.cache_clear()
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(good))
    with pytest.warns(UserWarning, match='Could not copy MovieLens 100K .*Fix: set FASTAI_HOME'):
        assert movielens_100k() == good

def test_stale_fastai_temporaries_removed(isolated, good):
    f = fastai_folder()
    stale = _stale_build(f.parent)
    assert share_with_fastai(good) == f
    assert not stale.exists() and leftovers(f.parent) == []

def test_a_copy_that_fails_its_check_is_not_shared(isolated, good, monkeypatch):
    "If the copy came out wrong (say, the source changed meanwhile), nothing is left in fastai's folder."
    real = shutil.copyfile
    monkeypatch.setattr(data.shutil, 'copyfile', lambda a, b: (real(a, b), Path(b).write_bytes(Path(a).read_bytes()[:-1]))[1])
    with pytest.warns(UserWarning, match='cut short'): assert share_with_fastai(good) is None
    f = fastai_folder()
    assert not os.path.lexists(f) and leftovers(f.parent) == []

# --- other public functions ------------------------------------------------------------------------------

def test_data_summary_refuses_what_is_not_a_ratings_table(good):
    r = load_ratings(good)
    with pytest.raises(ValueError, match='empty'): data_summary(r.iloc[:0])
    with pytest.raises(KeyError, match='title'): data_summary(r.drop(columns='title'))
    with pytest.raises(KeyError, match='movie'): data_summary(r.drop(columns='movie'))
    with pytest.raises(TypeError): data_summary(r.to_numpy())
    assert data_summary(r)['ratings'] == 100_000

# --- several processes at once on an empty cache ---------------------------------------------------------

WORKER = textwrap.dedent('''
    import hashlib, sys, time
    from pathlib import Path
    go = Path(sys.argv[1])
    while not go.exists(): time.sleep(0.01)   # start together
    from collab_tutorial.data import movielens_100k, load_ratings
    p = movielens_100k()
    h = [hashlib.sha256((p/f).read_bytes()).hexdigest() for f in ('u.data', 'u.item')]
    print(p.name, *h, load_ratings().shape[0])
''')

@pytest.mark.slow
def test_concurrent_first_use_builds_one_complete_copy(tmp_path):
    "Four processes ask for the data at the same moment on an empty cache (offline: the PyPI mirror is used)."
    cache, fastai_home = tmp_path/'cache', tmp_path/'fastai'
    env = {**os.environ, 'COLLAB_TUTORIAL_CACHE': str(cache), 'COLLAB_TUTORIAL_OFFLINE': '1',
           'FASTAI_HOME': str(fastai_home)}  # no fastai copy of ML-100K either
    env.pop('COLLAB_TUTORIAL_DATA', None)
    go = tmp_path/'go'
    procs = [subprocess.Popen([sys.executable, '-c', WORKER, str(go)], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    time.sleep(0.5); go.touch()
    outs = [p.communicate(timeout=900) for p in procs]
    for p, (out, err) in zip(procs, outs): assert p.returncode == 0, err[-2000:]
    lines = {out.strip() for out, _ in outs}
    assert len(lines) == 1, f"processes saw different data: {lines}"
    name, h_data, h_item, n = lines.pop().split()
    assert (name, n) == ('ml-100k', '100000')
    for folder in (cache/'ml-100k', fastai_home/'data'/'ml-100k'):  # the cache, and the copy shared with fastai
        assert h_data == hashlib.sha256((folder/'u.data').read_bytes()).hexdigest()
        assert h_item == hashlib.sha256((folder/'u.item').read_bytes()).hexdigest()
        check_ml100k(folder)
        assert sorted(p.name for p in folder.iterdir()) == ['u.data', 'u.item']
        assert leftovers(folder.parent) == [], "a temporary build folder was left behind"

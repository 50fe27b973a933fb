"""Error paths of `collab_tutorial.data` that notebook cells cannot reach well: no source works, broken folders,
broken wheels, and several processes building the cache at once."""
import hashlib, os, shutil, subprocess, sys, textwrap, time, zipfile, zlib
from pathlib import Path
from urllib.error import URLError
import pytest
import collab_tutorial.data as data
from collab_tutorial.data import DataError, check_ml100k, movielens_100k, recbole_to_grouplens

@pytest.fixture(scope='module')
def good() -> Path:
    "A checked ML-100K folder from this machine's usual source (built once, reused)."
    return movielens_100k()

@pytest.fixture
def isolated(monkeypatch, tmp_path):
    "No named folder, no fastai copy, an empty course cache under tmp_path."
    monkeypatch.delenv('COLLAB_TUTORIAL_DATA', raising=False)
    monkeypatch.delenv('COLLAB_TUTORIAL_OFFLINE', raising=False)
    monkeypatch.setenv('COLLAB_TUTORIAL_CACHE', str(tmp_path/'cache'))
    monkeypatch.setattr(data, 'fastai_ml100k', lambda: None)
    return tmp_path

def copy_with(good, dest, data_bytes=None, item_bytes=None, drop=()):
    "A copy of the good folder with u.data / u.item replaced by the given bytes, or dropped."
    dest.mkdir(parents=True, exist_ok=True)
    for fn, new in (('u.data', data_bytes), ('u.item', item_bytes)):
        if fn in drop: continue
        if new is None: shutil.copy(good/fn, dest/fn)
        else: (dest/fn).write_bytes(new)
    return dest

def leftovers(folder: Path): return sorted(p.name for p in folder.glob('.ml-100k-*'))

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

def test_offline_skips_download_and_says_so(isolated, monkeypatch):
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', '1')
    def must_not_run(): raise AssertionError('download attempted although COLLAB_TUTORIAL_OFFLINE is set')
    monkeypatch.setattr(data, 'download_ml100k', must_not_run)
    monkeypatch.setattr(data, 'fetch_recbole_wheel', lambda dest: (_ for _ in ()).throw(DataError('pip failed')))
    with pytest.raises(DataError, match='COLLAB_TUTORIAL_OFFLINE'): movielens_100k()

# --- broken folders --------------------------------------------------------------------------------------

def test_truncated_udata(good, tmp_path):
    b = (good/'u.data').read_bytes()
    half = b[:b.index(b'\n', len(b)//2)+1]
    d = copy_with(good, tmp_path/'half', data_bytes=half)
    with pytest.raises(DataError, match=r'u\.data: expected 100,000 for n_ratings'): check_ml100k(d)
    # cut in the middle of the last line, so that it lacks its rating and timestamp
    last = b[:-1].rsplit(b'\n', 1)[1]
    d = copy_with(good, tmp_path/'cut', data_bytes=b[:-len(last)-1] + last.split(b'\t')[0] + b'\t')
    with pytest.raises(DataError, match=r'u\.data'): movielens_100k(d)

def test_udata_cut_inside_last_number(good, tmp_path):
    b = (good/'u.data').read_bytes()
    d = copy_with(good, tmp_path/'cut', data_bytes=b[:-4])   # '...\t879959583\n' becomes '...\t879959'
    with pytest.raises(DataError, match=r'u\.data does not end with a newline'): movielens_100k(d)

def test_wrong_delimiter(good, tmp_path):
    d = copy_with(good, tmp_path/'csv', data_bytes=(good/'u.data').read_bytes().replace(b'\t', b','))
    with pytest.raises(DataError, match='tab-separated') as e: movielens_100k(d)
    assert 'u.data' in str(e.value) and 'Fix' in str(e.value)

def test_missing_uitem(good, tmp_path):
    d = copy_with(good, tmp_path/'noitem', drop=('u.item',))
    with pytest.raises(DataError, match=r'u\.item is missing'): movielens_100k(d)

def test_named_folder_via_env_is_checked_not_skipped(good, tmp_path, monkeypatch):
    "A broken folder named in COLLAB_TUTORIAL_DATA is an error, never a silent fallback to another source."
    d = copy_with(good, tmp_path/'noitem', drop=('u.item',))
    monkeypatch.setenv('COLLAB_TUTORIAL_DATA', str(d))
    with pytest.raises(DataError, match=r'u\.item is missing'): movielens_100k()

def test_broken_cache_says_delete_it(good, isolated):
    b = (good/'u.data').read_bytes()
    copy_with(good, isolated/'cache'/'ml-100k', data_bytes=b[:len(b)//3].rsplit(b'\n', 1)[0]+b'\n')
    with pytest.raises(DataError, match='delete that folder'): movielens_100k()

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
    assert (out/'u.item').read_text(encoding='latin-1').startswith('1|Toy Story (1995)|')
    assert len((out/'u.data').read_text().splitlines()) == 2999

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

def test_mirror_with_bad_wheel_leaves_nothing_behind(isolated, monkeypatch):
    "A wheel that fails its hash stops the build; no cache folder and no temporary folder remain."
    monkeypatch.setenv('COLLAB_TUTORIAL_OFFLINE', '1')
    monkeypatch.setattr(data.subprocess, 'run', fake_pip(b'PK\x03\x04 half a wheel'))
    with pytest.raises(DataError, match='SHA-256'): movielens_100k()
    cache = isolated/'cache'
    assert not (cache/'ml-100k').exists() and leftovers(cache) == []

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
    cache = tmp_path/'cache'
    env = {**os.environ, 'COLLAB_TUTORIAL_CACHE': str(cache), 'COLLAB_TUTORIAL_OFFLINE': '1',
           'FASTAI_HOME': str(tmp_path/'fastai')}  # no fastai copy of ML-100K either
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
    folder = cache/'ml-100k'
    assert h_data == hashlib.sha256((folder/'u.data').read_bytes()).hexdigest()
    assert h_item == hashlib.sha256((folder/'u.item').read_bytes()).hexdigest()
    check_ml100k(folder)
    assert sorted(p.name for p in folder.iterdir()) == ['u.data', 'u.item']
    assert leftovers(cache) == [], "a temporary build folder was left behind"

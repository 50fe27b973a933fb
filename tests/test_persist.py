"Bad model files and bad paths: each gets one clear error, nothing is built from a lie, nothing is left behind."
import json, os, stat, subprocess, sys, textwrap
from pathlib import Path
import pytest, torch, safetensors.torch
from fastai.collab import EmbeddingDotBias
from collab_tutorial.persist import save_model, load_model, check_model_path, ModelFileError, _digest

CLASSES = {'user': ['#na#', 1, 2, 3, 4], 'title': ['#na#', 'a', 'b', 'c', 'd', 'e']}

def small_model():
    torch.manual_seed(0)
    return EmbeddingDotBias(4, 5, 6, y_range=(0, 5.5))

@pytest.fixture
def good(tmp_path) -> Path:
    return save_model(small_model(), CLASSES, tmp_path/'good.safetensors', meta={'valid_mse': 0.8})

def parts(fn: Path):
    "The header fields and the tensors of a model file."
    raw = fn.read_bytes(); n = int.from_bytes(raw[:8], 'little')
    return json.loads(json.loads(raw[8:8+n])['__metadata__']['collab_tutorial']), safetensors.torch.load(raw)

def forge(good: Path, out: Path, sd=None, **changes) -> Path:
    "A well-formed file with a *correct* checksum (anyone can recompute it) whose fields or tensors were changed."
    fields, sd0 = parts(good)
    fields = {k: fields[k] for k in ('format', 'kind', 'config', 'classes', 'meta', 'torch')} | changes
    sd = sd or sd0
    out.write_bytes(safetensors.torch.save(sd, metadata={'collab_tutorial': json.dumps({**fields, 'sha256': _digest(fields, sd)})}))
    return out

def with_nan(sd): sd = dict(sd); w = sd['i_bias.weight'].clone(); w[2] = float('nan'); sd['i_bias.weight'] = w; return sd
def with_inf(sd): sd = dict(sd); w = sd['u_weight.weight'].clone(); w[1, 0] = float('inf'); sd['u_weight.weight'] = w; return sd
def flip(b: bytes, i: int) -> bytes: return b[:i] + bytes([b[i] ^ 0xFF]) + b[i+1:]

# (case, how to make the bad file from the good one, message fragment)
BAD_FILES = [
    ('empty', lambda g, o: o.write_bytes(b''), 'only 0 bytes'),
    ('five bytes', lambda g, o: o.write_bytes(g.read_bytes()[:5]), 'only 5 bytes'),
    ('cut in the header', lambda g, o: o.write_bytes(g.read_bytes()[:100]), 'the file is truncated, damaged or not a safetensors file'),
    ('cut in the weights', lambda g, o: o.write_bytes(g.read_bytes()[:-10]), 'truncated or damaged'),
    ('header not JSON', lambda g, o: o.write_bytes(flip(g.read_bytes(), 8)), 'not a model file written by save_model'),
    ('weights edited', lambda g, o: o.write_bytes(flip(g.read_bytes(), len(g.read_bytes()) - 3)), 'checksum does not match'),
    ('another safetensors file', lambda g, o: o.write_bytes(safetensors.torch.save({'w': torch.zeros(2)})), "no 'collab_tutorial' metadata"),
    ('torch.save output', lambda g, o: torch.save({'w': torch.zeros(2)}, o), 'what torch.save writes'),
    ('a raw pickle', lambda g, o: o.write_bytes(__import__('pickle').dumps({'w': 1})), 'a Python pickle'),
    ('unknown kind', lambda g, o: forge(g, o, kind='os.system'), "unknown model kind 'os.system'"),
    ('unknown format', lambda g, o: forge(g, o, format='pickle'), "unknown format 'pickle'"),
    ('classes too short', lambda g, o: forge(g, o, classes={'user': ['#na#', 1], 'title': CLASSES['title']}), 'bad classes'),
    ('declares 5,000,000 users', lambda g, o: forge(g, o, config=parts(g)[0]['config'] | {'n_users': 5_000_000}),
     'u_weight.weight (5, 4) (expected (5000000, 4))'),
    ('a weight is NaN', lambda g, o: forge(g, o, sd=with_nan(parts(g)[1])), "['i_bias.weight'] hold NaN or infinite values"),
    ('a weight is infinite', lambda g, o: forge(g, o, sd=with_inf(parts(g)[1])), "['u_weight.weight'] hold NaN or infinite values"),
]

@pytest.mark.parametrize('case,make,msg', BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_model_files(good, tmp_path, case, make, msg):
    bad = tmp_path/'bad.safetensors'
    make(good, bad)
    with pytest.raises(ModelFileError) as e: load_model(bad)
    assert msg in str(e.value) and str(bad) in str(e.value), str(e.value)

def test_a_declared_size_allocates_nothing(good, tmp_path):
    "A few kilobytes claiming 5,000,000 x 50 factors is refused before ~1 GB is allocated (peak memory of a fresh process)."
    fields, sd = parts(good)
    bad = forge(good, tmp_path/'huge.safetensors', config=fields['config'] | {'n_users': 5_000_000, 'n_factors': 4})
    code = textwrap.dedent(f"""
        import resource, sys
        from collab_tutorial.persist import load_model, ModelFileError
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try: load_model({str(bad)!r}); sys.exit('loaded')
        except ModelFileError: pass
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)""")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert int(out.split()[-1]) < 60, f"peak memory grew by {out.split()[-1]} MB while refusing the file"

@pytest.mark.parametrize('kind,make,msg', [
    ('missing', lambda p: p/'nope.safetensors', 'no model file at'),
    ('folder', lambda p: p, 'is a folder, not a file: expected a model file'),
    ('fifo', lambda p: (os.mkfifo(p/'pipe'), p/'pipe')[1], 'is a named pipe (FIFO), not a file: expected a model file'),
    ('device', lambda p: Path('/dev/zero'), 'is a character device, not a file: expected a model file'),
], ids=['missing', 'folder', 'fifo', 'dev-zero'])
def test_load_paths_that_are_not_model_files(tmp_path, kind, make, msg):
    with pytest.raises((FileNotFoundError, ValueError)) as e: load_model(make(tmp_path))
    assert msg in str(e.value)

@pytest.mark.parametrize('kind,make,msg', [
    ('folder', lambda p: p, 'is a folder, not a file: give a file name'),
    ('fifo', lambda p: (os.mkfifo(p/'pipe'), p/'pipe')[1], 'is a named pipe (FIFO), not a file'),
    ('below a file', lambda p: ((p/'f').write_text('x'), p/'f'/'m.safetensors')[1], 'is a file, not a folder'),
], ids=['folder', 'fifo', 'below-a-file'])
def test_save_paths_that_cannot_hold_a_model(tmp_path, kind, make, msg):
    target = make(tmp_path)
    with pytest.raises(ValueError) as e: save_model(small_model(), CLASSES, target)
    assert msg in str(e.value)
    with pytest.raises(ValueError): check_model_path(target, write=True)

def test_save_refuses_weights_that_are_not_finite(tmp_path):
    m = small_model()
    with torch.no_grad(): m.u_bias.weight[1] = float('nan')
    with pytest.raises(ValueError, match='NaN or infinite values'): save_model(m, CLASSES, tmp_path/'m.safetensors')
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left

def test_saved_file_has_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try: fn = save_model(small_model(), CLASSES, tmp_path/'m.safetensors')
    finally: os.umask(old)
    assert stat.S_IMODE(fn.stat().st_mode) == 0o644

def test_stale_temporaries_are_removed_live_ones_kept(tmp_path):
    "A save killed mid-write leaves `.NAME.PID.xxx.tmp`; the next save removes it when PID is gone, not when it runs."
    gone = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True).stdout.strip()
    stale, live = tmp_path/f'.m.safetensors.{gone}.abc.tmp', tmp_path/f'.m.safetensors.{os.getppid()}.def.tmp'
    stale.write_bytes(b'half'); live.write_bytes(b'being written')
    save_model(small_model(), CLASSES, tmp_path/'m.safetensors')
    assert not stale.exists() and live.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(['m.safetensors', live.name])

def test_killed_save_never_leaves_a_half_file(tmp_path):
    "Kill a process while it saves over and over: the target is always a complete, loadable file."
    target = tmp_path/'m.safetensors'
    save_model(small_model(), CLASSES, target)
    code = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_persist import small_model, CLASSES
        from collab_tutorial.persist import save_model
        print('ready', flush=True)
        while True: save_model(small_model(), CLASSES, {str(target)!r})""")
    p = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == 'ready'
        import time; time.sleep(1.0)
    finally: p.kill(); p.wait()
    model, classes, meta = load_model(target)
    assert classes == CLASSES
    save_model(small_model(), CLASSES, target)  # the next save clears what the killed one left
    assert [q.name for q in tmp_path.iterdir()] == ['m.safetensors']

def test_sparse_trained_model_round_trips(tmp_path):
    "`fit_mf(sparse=True)` trains with sparse gradients, but the model it returns saves and loads like any other."
    import torch
    from collab_tutorial.fast import fit_mf
    from collab_tutorial.persist import save_model, load_model
    u, i, r = torch.tensor([1, 2, 3]), torch.tensor([1, 2, 1]), torch.tensor([4., 3., 5.])
    m, _ = fit_mf(u, i, r, 4, 3, n_factors=4, epochs=1, bs=2, sparse=True)
    assert not any(e.sparse for e in m.children())
    m2, classes, _ = load_model(save_model(m, {'user': ['#na#', 1, 2, 3], 'title': ['#na#', 'a', 'b']}, tmp_path/'s.safetensors'))
    x = torch.stack([u, i], 1)
    assert torch.equal(m.eval()(x), m2(x))

"Bad model files and bad paths: each gets one clear error, nothing is built from a lie, nothing is left behind."
import json, os, stat, subprocess, sys, textwrap
from pathlib import Path
import pytest, torch, safetensors.torch
from torch import nn
from fastai.collab import EmbeddingDotBias, EmbeddingNN
from collab_tutorial.persist import (save_model, load_model, check_model_path, ModelFileError, model_kinds, model_kind,
                                     register_kind, pid_alive, write_atomic, _digest)

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
def half(g: Path) -> int: return len(g.read_bytes()) // 2
def with_shape(sd): sd = dict(sd); sd['u_weight.weight'] = sd['u_weight.weight'][:, :2].contiguous(); return sd

# (case, how to make the bad file from the good one, message fragment)
BAD_FILES = [
    ('empty', lambda g, o: o.write_bytes(b''), 'only 0 bytes'),
    ('five bytes', lambda g, o: o.write_bytes(g.read_bytes()[:5]), 'only 5 bytes'),
    ('cut in the header', lambda g, o: o.write_bytes(g.read_bytes()[:100]), 'the file is truncated, damaged or not a safetensors file'),
    ('cut in the weights', lambda g, o: o.write_bytes(g.read_bytes()[:-10]), 'truncated or damaged'),
    ('cut in half', lambda g, o: o.write_bytes(g.read_bytes()[:half(g)]), 'the file is truncated'),
    ('one byte short', lambda g, o: o.write_bytes(g.read_bytes()[:-1]), 'truncated or damaged'),
    ('a title edited in the header', lambda g, o: o.write_bytes(g.read_bytes().replace(b'\\"e\\"', b'\\"E\\"', 1)),
     'checksum does not match'),
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
    ('a tensor of the wrong shape', lambda g, o: forge(g, o, sd=with_shape(parts(g)[1])), 'u_weight.weight (5, 2) (expected (5, 4))'),
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

def test_a_title_edit_is_a_real_change(good):
    "The 'title edited' case above changes one title and nothing else, so only the checksum can notice."
    b = good.read_bytes()
    assert b.count(b'\\"e\\"') == 1 and len(b.replace(b'\\"e\\"', b'\\"E\\"')) == len(b)

def test_saving_again_replaces_the_file(good, tmp_path):
    save_model(small_model(), CLASSES, good, meta={'note': 'saved twice'})
    assert load_model(good)[2] == {'note': 'saved twice'}
    assert [p.name for p in tmp_path.iterdir()] == ['good.safetensors']  # no temporary file left

class Subclass(EmbeddingDotBias): pass

def classes_with(**change): return CLASSES | change

# (case, model, classes, meta, message fragment): each is refused before anything is written
BAD_SAVES = [
    ('classes do not fit', small_model, classes_with(title=CLASSES['title'][:-1]), None, "classes['title'] has 5 entries but the model has 6"),
    ('classes lack the items', small_model, {'user': CLASSES['user']}, None, 'must have 2 entries'),
    ('classes are a list', small_model, list(CLASSES.values()), None, 'must be a dict'),
    ('a class value is a bool', small_model, classes_with(user=['#na#', True, 2, 3, 4]), None, 'is a bool'),
    ('a class value is a float', small_model, classes_with(user=['#na#', 1.5, 2, 3, 4]), None, 'not a str or int'),
    ('meta holds a function', small_model, CLASSES, {'f': print}, 'JSON-serialisable'),
    ('meta holds NaN', small_model, CLASSES, {'loss': float('nan')}, 'JSON-serialisable'),
    ('a model of no kind', lambda: nn.Linear(2, 1), CLASSES, None, "can't save a Linear"),
    ('a subclass of a kind', lambda: Subclass(4, 5, 6), CLASSES, None, "can't save a Subclass"),
    ('layers the kind does not rebuild', lambda: EmbeddingNN([(5, 3), (6, 3)], layers=[4], act_cls=nn.Tanh()), CLASSES, None,
     'differs from it'),
]

@pytest.mark.parametrize('case,make,classes,meta,msg', BAD_SAVES, ids=[c[0] for c in BAD_SAVES])
def test_bad_saves_write_nothing(tmp_path, case, make, classes, meta, msg):
    with pytest.raises((TypeError, ValueError)) as e: save_model(make(), classes, tmp_path/'m.safetensors', meta=meta)
    assert msg in str(e.value), str(e.value)
    assert list(tmp_path.iterdir()) == []

def every_kind():
    "A small model of every kind in the table, with its classes."
    from collab_tutorial.dotproduct import DotProduct
    from collab_tutorial.bias import DotProductBias
    from collab_tutorial.embedding import DotProductBiasParams
    from collab_tutorial.fast import MFModel
    from collab_tutorial.neural import CollabNN
    from collab_tutorial.rank import RankMF
    return [EmbeddingDotBias(3, 5, 6, y_range=(0, 5.5)), EmbeddingNN([(5, 3), (6, 4)], layers=[8, 4], ps=[0.1, 0.2], embed_p=0.05),
            DotProduct(5, 6, 3), DotProduct(5, 6, 3, y_range=(0, 5.5)), DotProductBias(5, 6, 3),
            DotProductBiasParams(5, 6, 3, y_range=(1, 5)), MFModel(5, 6, 3), CollabNN((5, 3), (6, 4), n_act=7), RankMF(5, 6, 3)]

def test_every_kind_round_trips(tmp_path):
    "Each kind saves and loads as the same class, layers and outputs, bit for bit (weights made random first)."
    models = every_kind()
    assert sorted({model_kind(m) for m in models}) == sorted(model_kinds())
    x = torch.tensor([[1, 1], [2, 5], [4, 3]])
    for i, m in enumerate(models):
        torch.manual_seed(i)
        for p in m.parameters(): nn.init.normal_(p.data, std=0.3)
        m2, classes, meta = load_model(save_model(m, CLASSES, tmp_path/'m.safetensors'))
        assert type(m2) is type(m) and repr(m2) == repr(m) and classes == CLASSES and meta == {}
        assert getattr(m2, 'y_range', None) == getattr(m, 'y_range', None)
        with torch.no_grad(): assert torch.equal(m.eval()(x), m2(x)), model_kind(m)

def test_register_kind_needs_replace_to_take_a_name():
    cfg, sizes = (lambda m: {}), (lambda c: (1, 1))
    with pytest.raises(ValueError, match='already registered for fastai.collab.EmbeddingDotBias'):
        register_kind('fastai.EmbeddingDotBias', 'collab_tutorial.bias', 'DotProductBias', cfg, sizes)
    try:
        register_kind('example.Tmp', 'collab_tutorial.bias', 'DotProductBias', cfg, sizes)
        register_kind('example.Tmp', 'collab_tutorial.bias', 'DotProductBias', cfg, sizes)  # the same class again: fine
        with pytest.raises(ValueError, match='pass replace=True'): register_kind('example.Tmp', 'collab_tutorial.fast', 'MFModel', cfg, sizes)
        register_kind('example.Tmp', 'collab_tutorial.fast', 'MFModel', cfg, sizes, replace=True)
        assert model_kinds()['example.Tmp'].name == 'MFModel'
    finally: model_kinds().pop('example.Tmp', None)

def test_a_kind_whose_package_is_missing(good, tmp_path):
    register_kind('example.Missing', 'no_such_package.models', 'Model', config=lambda m: {}, sizes=lambda c: (5, 6))
    try:
        with pytest.raises(ModelFileError, match='needs no_such_package.models.Model, which is not installed'):
            load_model(forge(good, tmp_path/'missing.safetensors', kind='example.Missing'))
    finally: model_kinds().pop('example.Missing')

def test_importing_persist_does_no_work():
    "Importing the module defines things and nothing else: the table of kinds is built on first use."
    code = ("import sys, collab_tutorial.persist as p; print(p.model_kinds.cache_info().currsize, 'fastai.collab' in sys.modules); "
            "print(len(p.model_kinds()))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ['0', 'False', str(len(model_kinds()))], out

def test_pid_alive():
    assert pid_alive(os.getpid())
    p = subprocess.Popen([sys.executable, '-c', 'pass']); p.wait()
    assert not pid_alive(p.pid)  # ended and collected

@pytest.mark.skipif(not os.path.exists('/proc/self/stat'), reason='zombies are told apart through /proc')
def test_a_zombie_is_not_alive():
    p = subprocess.Popen([sys.executable, '-c', 'pass'])
    try:
        for _ in range(100):  # ended, but not yet collected by wait(): a zombie
            if Path(f'/proc/{p.pid}/stat').read_text().rsplit(')', 1)[1].split()[0] == 'Z': break
            __import__('time').sleep(0.05)
        assert not pid_alive(p.pid)
    finally: p.wait()

def test_write_atomic_replaces_in_one_step(tmp_path):
    write_atomic(tmp_path/'f.txt', b'first'); write_atomic(tmp_path/'f.txt', b'second')
    assert (tmp_path/'f.txt').read_bytes() == b'second' and [p.name for p in tmp_path.iterdir()] == ['f.txt']

def test_check_model_path_accepts_a_new_folder(tmp_path):
    assert check_model_path(tmp_path/'new'/'m.safetensors', write=True) == tmp_path/'new'/'m.safetensors'

# ---- Issue 21, round two: the header is checked for meaning, not only shape --------------------------------------------

T = CLASSES['title']
def raw_header(good: Path, out: Path, text: str) -> Path:
    "A file whose 'collab_tutorial' metadata is `text` as it stands (no checksum can be computed for what JSON can't read)."
    out.write_bytes(safetensors.torch.save(parts(good)[1], metadata={'collab_tutorial': text})); return out
def header_bytes(out: Path, header: bytes) -> Path:
    out.write_bytes(len(header).to_bytes(8, 'little') + header); return out
def without(good, out, key):
    fields, sd = parts(good)
    fields = {k: v for k, v in fields.items() if k not in ('sha256', key)}
    digest = {} if key == 'sha256' else {'sha256': _digest({k: fields.get(k) for k in ('format', 'kind', 'config', 'classes', 'meta', 'torch')}, sd)}
    out.write_bytes(safetensors.torch.save(sd, metadata={'collab_tutorial': json.dumps(fields | digest)}))
    return out
def as_double(sd): sd = dict(sd); sd['u_weight.weight'] = sd['u_weight.weight'].double(); return sd
DEEP = '[' * 100_000 + ']' * 100_000

# (case, how to make the file from the good one, message fragment or None: loads)
MEANING = [
    ('a title twice', lambda g, o: forge(g, o, classes=classes_with(title=['#na#', 'a', 'a', 'c', 'd', 'e'])), "classes['title'] holds 'a' more than once"),
    ('a user id twice', lambda g, o: forge(g, o, classes=classes_with(user=['#na#', 1, 2, 2, 4])), "classes['user'] holds 2 more than once"),
    ('a second #na#', lambda g, o: forge(g, o, classes=classes_with(title=['#na#', 'a', 'b', '#na#', 'd', 'e'])), "has '#na#' at row 3"),
    ('#na# not at row 0', lambda g, o: forge(g, o, classes=classes_with(title=['a', '#na#', 'b', 'c', 'd', 'e'])), "has '#na#' at row 1"),
    ('a string where a list belongs', lambda g, o: forge(g, o, classes=classes_with(title='abcdef')), "classes['title'] must be a list of values"),
    ('an object where a list belongs', lambda g, o: forge(g, o, classes=classes_with(title={str(i): t for i, t in enumerate(T)})), 'must be a list of values'),
    ('a number where a list belongs', lambda g, o: forge(g, o, classes=classes_with(title=6)), 'must be a list of values'),
    ('a class value is null', lambda g, o: forge(g, o, classes=classes_with(user=['#na#', None, 2, 3, 4])), 'is a NoneType'),
    ('a class value is a list', lambda g, o: forge(g, o, classes=classes_with(user=['#na#', [1], 2, 3, 4])), 'is a list, not a str or int'),
    ('a class value is true', lambda g, o: forge(g, o, classes=classes_with(user=['#na#', True, 2, 3, 4])), 'is a bool'),
    ('a class value is a float', lambda g, o: forge(g, o, classes=classes_with(user=['#na#', 1.5, 2, 3, 4])), 'is a float'),
    ('three class lists', lambda g, o: forge(g, o, classes=CLASSES | {'genre': ['x']}), 'must have 2 entries'),
    ('classes is a list', lambda g, o: forge(g, o, classes=[CLASSES['user'], T]), "the header field 'classes' is a list, not a dict"),
    ('config is a list', lambda g, o: forge(g, o, config=[4, 5, 6]), "the header field 'config' is a list, not a dict"),
    ('meta is a string', lambda g, o: forge(g, o, meta='fine'), "the header field 'meta' is a str, not a dict"),
    ('torch is a number', lambda g, o: forge(g, o, torch=2), "the header field 'torch' is a int, not a str"),
    ('kind is a list', lambda g, o: forge(g, o, kind=['fastai.EmbeddingDotBias']), "the header field 'kind' is a list, not a str"),
    ('no kind', lambda g, o: without(g, o, 'kind'), "the header has no 'kind' field"),
    ('no classes', lambda g, o: without(g, o, 'classes'), "the header has no 'classes' field"),
    ('no checksum', lambda g, o: without(g, o, 'sha256'), "the header has no 'sha256' field"),
    ('deeply nested description', lambda g, o: raw_header(g, o, DEEP), 'nests lists or objects too deeply'),
    ('deeply nested header', lambda g, o: header_bytes(o, DEEP.encode()), 'nests lists or objects too deeply'),
    ('a header length of 2**63', lambda g, o: (o.write_bytes((2**63).to_bytes(8, 'little') + b'{}'), o)[1], 'the header says it is 9,223,372,036,854,775,808 bytes'),
    ('a weight of the wrong dtype', lambda g, o: forge(g, o, sd=as_double(parts(g)[1])), 'u_weight.weight has dtype torch.float64 (expected torch.float32)'),
    ('ids of two types, distinct', lambda g, o: forge(g, o, classes=classes_with(user=['#na#', 1, '1', 2, 3])), None),
    ('no #na# at all (planted data)', lambda g, o: forge(g, o, classes=dict(user=[10, 11, 12, 13, 14], title=list('uvwxyz'))), None),
]

@pytest.mark.parametrize('case,make,msg', MEANING, ids=[c[0] for c in MEANING])
def test_header_meaning(good, tmp_path, case, make, msg):
    bad = make(good, tmp_path/'bad.safetensors')
    if msg is None: load_model(bad); return
    with pytest.raises(ModelFileError) as e: load_model(bad)
    assert msg in str(e.value) and str(bad) in str(e.value) and len(str(e.value).splitlines()) == 1, str(e.value)

@pytest.mark.parametrize('classes,msg', [(classes_with(title=['#na#', 'a', 'a', 'c', 'd', 'e']), "holds 'a' more than once"),
                                         (classes_with(title=['#na#', 'a', 'b', 'c', 'd', '#na#']), "has '#na#' at row 5"),
                                         (classes_with(title='abcdef'), 'must be a list of values')])
def test_saves_refuse_classes_without_meaning(tmp_path, classes, msg):
    with pytest.raises((TypeError, ValueError), match=msg): save_model(small_model(), classes, tmp_path/'m.safetensors')
    assert list(tmp_path.iterdir()) == []

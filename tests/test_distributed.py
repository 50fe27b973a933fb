"""Tests of the data-parallel trainer (nbs/16_distributed) and its program (nbs/16a_dist_train): sharding, 2 processes under torchrun against 1, the saved model, a lost process."""
from pathlib import Path
import pytest, torch
from collab_tutorial.distributed import KILL_ENV, shard_rows, fit_dist, world
from collab_tutorial.dist_train import main, launch, read_summary
from collab_tutorial.persist import load_model
from collab_tutorial.fast import MFModel

FAST = ['--epochs', '3', '--threads', '1']

def leftovers(folder: Path) -> list[str]:
    "Temporary files left in `folder` by an interrupted write."
    return sorted(p.name for p in folder.iterdir() if p.name.endswith('.tmp'))

def test_shard_rows():
    parts = [shard_rows(10, r, 3, seed=1) for r in range(3)]
    assert all(len(p) == 3 for p in parts)                      # equal shares: the 10th row is left out
    assert len(set(torch.cat(parts).tolist())) == 9             # disjoint
    assert torch.equal(parts[0], shard_rows(10, 0, 3, seed=1))  # seeded
    assert not torch.equal(parts[0], shard_rows(10, 0, 3, seed=2))
    with pytest.raises(ValueError, match='rank must be in'): shard_rows(10, 3, 3)
    with pytest.raises(ValueError, match="can't be shared by 4 processes"): shard_rows(3, 0, 4)
    with pytest.raises(ValueError, match='whole number'): shard_rows(10, 0, 0)

def test_fit_dist_alone_checks_its_arguments():
    assert world() == (0, 1)
    u, i, r = torch.tensor([0, 1, 2]), torch.tensor([1, 0, 1]), torch.tensor([3., 4., 5.])
    m, h = fit_dist(u, i, r, 3, 2, n_factors=4, epochs=2, bs=2, valid=(u, i, r))
    assert isinstance(m, MFModel) and list(h.epoch) == [0, 1] and h.valid_mse.notna().all()
    assert not m.user_factors.sparse  # a plain MFModel again, ready for save_model
    with pytest.raises(ValueError, match="method must be one of"): fit_dist(u, i, r, 3, 2, method='allreduce')
    with pytest.raises(ValueError, match="sync_every"): fit_dist(u, i, r, 3, 2, method='local', sync_every=-1)
    with pytest.raises(IndexError, match=r'indices in \[0, 2\)'): fit_dist(u, i + 1, r, 3, 2)

def test_main_reports_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as e: main(['--epochs', '0'])   # refused by argparse, as every setting of the trainers
    assert e.value.code == 2 and "argument --epochs: expected a positive whole number, got '0'" in capsys.readouterr().err
    assert main(['--model', str(tmp_path)]) == 1
    assert 'give a file name for the model' in capsys.readouterr().err
    assert main(['--synthetic', '10,x,3']) == 1
    assert 'must be three whole numbers' in capsys.readouterr().err
    # --help prints the usage and exits 0; the two tests below run the module as a program (python -m, under torchrun)
    with pytest.raises(SystemExit) as e: main(['--help'])
    assert e.value.code == 0 and 'usage: collab_tutorial.dist_train' in capsys.readouterr().out

def test_two_processes_match_one(tmp_path):
    assert main([*FAST, '--summary', str(tmp_path / 'one.json')]) == 0  # 1 process, no process group, same total batch
    one = read_summary(tmp_path / 'one.json')
    model = tmp_path / 'models' / 'mf.safetensors'
    p = launch(2, [*FAST, '--model', model, '--summary', tmp_path / 'two.json'], timeout=150)
    assert p.returncode == 0, p.stdout[-3000:]
    two = read_summary(tmp_path / 'two.json')
    assert (one['processes'], two['processes']) == (1, 2) and two['bs'] == one['bs'] == 1024
    assert abs(two['valid_rmse'] - one['valid_rmse']) < 0.005, (one['valid_rmse'], two['valid_rmse'])
    assert two['valid_rmse'] < 0.95
    m, classes, meta = load_model(model)
    assert meta['processes'] == 2 and meta['method'] == 'rows' and meta['trainer'] == 'collab_tutorial.dist_train'
    pred = m(torch.tensor([[1, 1], [2, 3]]))
    assert pred.shape == (2,) and ((pred > 0) & (pred < 5.5)).all()
    assert len(classes['user']) == m.user_factors.weight.shape[0]
    assert p.stdout.count('left the process group') == 2  # both processes closed their group
    assert leftovers(model.parent) == [] and leftovers(tmp_path) == []

def test_lost_process_fails_cleanly(tmp_path):
    model = tmp_path / 'mf.safetensors'
    # collectives would wait 600 s for a silent peer: finishing within launch's 120 s shows the loss is noticed at once
    p = launch(2, [*FAST, '--timeout', '600', '--model', model, '--summary', tmp_path / 's.json'], timeout=120,
               env={KILL_ENV: '1:5'})
    assert p.returncode != 0
    out = p.stdout
    assert 'killing myself (SIGKILL) after 5 steps' in out
    assert 'rank 1 (pid' in out and 'Nothing was saved' in out, out[-3000:]  # rank 0 names the lost process
    assert 'rank      : 1' in out and 'SIGKILL' in out                       # so does torchrun's summary
    assert not model.exists() and not (tmp_path / 's.json').exists()
    assert leftovers(tmp_path) == []
    assert '[rank 0] left the process group' in out

# ---- Issue 21, round two: the distributed trainer and its program check settings and outputs as the others do --------

import re
NAN, INF = float('nan'), float('inf')
U, I, R = torch.tensor([0, 1, 2, 0, 1, 2] * 20), torch.tensor([1, 0, 1, 0, 1, 0] * 20), torch.tensor([3., 4., 5., 1., 2., 3.] * 20)
BAD_DIST_SETTINGS = [('lr', NAN, 'lr must be a finite number > 0, got nan'), ('lr', -1, 'lr must be a finite number > 0, got -1'),
                     ('lr', INF, 'got inf'), ('wd', NAN, 'wd must be a finite number >= 0, got nan'), ('wd', -0.5, 'got -0.5'),
                     ('n_factors', 0, 'n_factors must be a whole number of at least 1'), ('bs', 2.5, 'bs must be a whole number'),
                     ('epochs', 0, 'epochs must be a whole number of at least 1, got 0'),
                     ('n_factors', 10**10, 'n_factors=10,000,000,000 makes factor tables of 3 + 2 rows that need about 800.0 GB')]

@pytest.mark.parametrize('name,value,msg', BAD_DIST_SETTINGS, ids=[f'{n}={v!r}' for n, v, _ in BAD_DIST_SETTINGS])
def test_fit_dist_bad_settings(name, value, msg):
    with pytest.raises(ValueError, match=re.escape(msg)): fit_dist(U, I, R, 3, 2, **{'epochs': 1, name: value})

@pytest.mark.parametrize('kw,msg', [(dict(wd=1e6), 'lower wd (now 1e+06), e.g. to 50: with lr 0.01'), (dict(lr=1e30), 'lower lr (now 1e+30)')])
def test_fit_dist_diverging_is_an_error(kw, msg):
    with pytest.raises(FloatingPointError, match=re.escape(msg)): fit_dist(U, I, R, 3, 2, n_factors=4, epochs=3, bs=4, **kw)

SYN = ['--synthetic', '3000,40,30', '--epochs', '2', '--bs', '64', '--threads', '1']
# (arguments, exit status, fragment of stderr, files that must not exist afterwards); 2 = refused by argparse
BAD_MAIN = [
    (['--lr', 'nan'], 2, "argument --lr: expected a positive number, got 'nan'", []),
    (['--lr', '-1'], 2, "argument --lr: expected a positive number, got '-1'", []),
    (['--wd', 'inf'], 2, "argument --wd: expected a number >= 0, got 'inf'", []),
    (['--bs', '0'], 2, "argument --bs: expected a positive whole number, got '0'", []),
    (['--n-factors', '2.5'], 2, "argument --n-factors: expected a positive whole number, got '2.5'", []),
    (['--synthetic', '1,5,5'], 1, '--synthetic 1,5,5 with --valid-pct 0.2 leaves 0 training and 1 validation ratings; each of the 1 process(es) needs one of each: raise N in --synthetic', []),
    (['--synthetic', '3,5,5', '--valid-pct', '0.9'], 1, 'leaves 0 training and 3 validation ratings', []),
    (['--data', '{tmp}/nope'], 1, '--data {tmp}/nope does not exist: give the folder of u.data and u.item', []),
    (['--model', '{tmp}/x', '--summary', '{tmp}/x'], 1, '--model and --summary name the same file', ['x']),
    (['--model', '{tmp}/m.safetensors', '--summary', '{tmp}/./m.safetensors'], 1, 'name the same file', ['m.safetensors']),
    (['--summary', '{tmp}'], 1, 'is a folder, not a file', []),
    (['--summary', '{tmp}/s/'], 1, 'names a folder: give a file name', ['s']),
    (['--model', '{tmp}/m.safetensors', '--summary', '{tmp}/afile/s.json'], 1, "--summary {tmp}/afile/s.json can't be written: {tmp}/afile is a file", ['m.safetensors']),
    ([*SYN, '--wd', '1e6', '--model', '{tmp}/m', '--summary', '{tmp}/s.json'], 1,
     'FloatingPointError: training diverged at epoch 0 (loss nan): lower --wd (now 1e+06), e.g. to 50: with --lr 0.01, --lr × --wd', ['m', 's.json']),
    ([*SYN, '--lr', '1e30', '--model', '{tmp}/m'], 1, 'lower --lr (now 1e+30)', ['m']),
    ([*SYN, '--n-factors', '1000000000000', '--model', '{tmp}/m'], 1, 'failed: ValueError: --n-factors 1,000,000,000,000 makes factor tables of 40 + 30 rows', ['m']),
]

@pytest.mark.parametrize('argv,rc,msg,absent', BAD_MAIN, ids=[' '.join(a) for a, *_ in BAD_MAIN])
def test_main_bad_settings_and_outputs(tmp_path, capsys, argv, rc, msg, absent):
    (tmp_path/'afile').write_text('x')
    argv = [a.replace('{tmp}', str(tmp_path)) for a in argv]
    if rc == 2:
        with pytest.raises(SystemExit) as e: main(argv)
        got = e.value.code
    else: got = main(argv)
    err = capsys.readouterr().err
    assert got == rc and msg.replace('{tmp}', str(tmp_path)) in err and '`dest`' not in err and ' n must' not in err, err
    assert not [a for a in absent if (tmp_path/a).exists()] and leftovers(tmp_path) == []

def test_main_writes_a_summary_into_a_new_folder(tmp_path):
    assert main([*SYN, '--summary', str(tmp_path/'new'/'s.json')]) == 0
    assert read_summary(tmp_path/'new'/'s.json')['valid_rmse'] < 5

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
    assert main(['--epochs', '0']) == 1
    assert '--epochs must be a whole number of at least 1' in capsys.readouterr().err
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

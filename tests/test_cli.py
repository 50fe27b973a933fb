"Every option of every command: a bad value is refused in one line on stderr, before any data is loaded or trained on."
import os, subprocess, sys
from pathlib import Path
import pytest
import collab_tutorial.data
from collab_tutorial.cli import main

@pytest.fixture
def no_loading(monkeypatch):
    "Make loading the ratings an error, to prove that bad options are refused before it."
    def refuse(*a, **k): raise AssertionError('the command loaded data before checking its options')
    monkeypatch.setattr(collab_tutorial.data, 'load_ratings', refuse)
    monkeypatch.setattr(collab_tutorial.data, 'movielens_100k', refuse)

def run(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err

# (argv, exit status, fragment of stderr); 2 = refused by the argument parser, 1 = refused by the command
BAD = [
    (['train', '--epochs', '0'], 2, "--epochs: expected a positive whole number, got '0'"),
    (['train', '--epochs', 'x'], 2, "--epochs: expected a positive whole number, got 'x'"),
    (['train', '--epochs', '2.5'], 2, "--epochs: expected a positive whole number"),
    (['train', '--factors', '-1'], 2, "--factors: expected a positive whole number"),
    (['train', '--lr', '0'], 2, "--lr: expected a positive number, got '0'"),
    (['train', '--lr', 'nan'], 2, "--lr: expected a positive number, got 'nan'"),
    (['train', '--lr', 'inf'], 2, "--lr: expected a positive number, got 'inf'"),
    (['train', '--wd', '-0.1'], 2, "--wd: expected a number >= 0"),
    (['train', '--wd', 'nan'], 2, "--wd: expected a number >= 0"),
    (['train', '--bs', '0'], 2, "--bs: expected a positive whole number"),
    (['train', '--seed', '-1'], 2, "--seed"),
    (['train', '--seed', 'abc'], 2, "--seed"),
    (['train', '--threads', '-1'], 2, "--threads: expected a whole number >= 0"),
    (['train', '--model', 'svd'], 2, "--model: invalid choice: 'svd'"),
    (['train', '--objective', 'bpr'], 2, "--objective: invalid choice: 'bpr'"),
    (['train', '--objective', 'rank', '--model', 'nn'], 1, "--objective rank always trains RankMF (leave --model out)"),
    (['train', '--objective', 'rank', '--epochs', '0'], 2, "--epochs: expected a positive whole number"),
    (['train', '--objective', 'rank', '--out', '.'], 1, "--out names a folder (.)"),
    (['train', '--out', '.'], 1, "--out names a folder (.)"),
    (['train', '--out', 'models/'], 1, "--out names a folder (models/)"),
    (['train', '--unknown'], 2, "unrecognized arguments: --unknown"),
    (['train', '--dataset', 'ml-99m'], 1, "--dataset: MovieLens release must be one of 'ml-100k', 'ml-latest-small'"),
    (['train', '--dataset', 'ml-1m', '--objective', 'rank'], 1, "--objective rank trains on MovieLens 100K only"),
    (['train', '--dataset', 'ml-25m', '--model', 'nn'], 1, "--model nn trains on MovieLens 100K only"),
    (['train', '--dataset', 'ml-25m', '--out', '.'], 1, "--out names a folder (.)"),
    (['recommend'], 2, "one of the arguments --user --similar --watched is required"),
    (['recommend', '--watched'], 2, "--watched: expected at least one argument"),
    (['recommend', '--watched', 'Alien (1979)', '--user', '1'], 2, "not allowed with argument"),
    (['recommend', '--watched', 'Alien (1979)', '--model-path', 'nope.safetensors'], 1, "no model file at nope.safetensors"),
    (['recommend', '--user', '1', '--similar', 'x'], 2, "not allowed with argument"),
    (['recommend', '--user', '1', '-n', '0'], 2, "-n: expected a positive whole number"),
    (['recommend', '--user', '1', '--model-path', 'nope.safetensors'], 1, "no model file at nope.safetensors: run `collab_tutorial train` first"),
    (['recommend', '--user', '1', '--model-path', '.'], 1, "is a folder, not a file: expected a model file"),
    (['recommend', '--user', '1', '--model-path', '/dev/zero'], 1, "is a character device, not a file"),
    (['bench', '--sizes', '0'], 2, "--sizes"),
    (['bench', '--threads', '-2'], 2, "--threads"),
    (['nonsense'], 2, "invalid choice: 'nonsense'"),
    ([], 2, "the following arguments are required: COMMAND"),
]

@pytest.mark.parametrize('argv,rc,msg', BAD, ids=[' '.join(a) or '(none)' for a, _, _ in BAD])
def test_bad_options(argv, rc, msg, capsys, no_loading):
    got, out, err = run(argv, capsys)
    assert got == rc, (got, err)
    assert msg in err, err
    assert 'Traceback' not in err

def test_out_below_a_file(tmp_path, capsys, no_loading):
    (tmp_path/'notes.txt').write_text('x')
    rc, out, err = run(['train', '--out', str(tmp_path/'notes.txt'/'m.safetensors')], capsys)
    assert rc == 1 and 'is a file, not a folder' in err and err.count('\n') == 1

def test_out_fifo(tmp_path, capsys, no_loading):
    os.mkfifo(tmp_path/'pipe')
    rc, out, err = run(['train', '--out', str(tmp_path/'pipe')], capsys)
    assert rc == 1 and 'is a named pipe (FIFO), not a file' in err

def test_damaged_model_file(tmp_path, capsys):
    (tmp_path/'m.safetensors').write_bytes(b'\x00' * 100)
    rc, out, err = run(['recommend', '--user', '1', '--model-path', str(tmp_path/'m.safetensors')], capsys)
    assert rc == 1 and 'not a model file written by save_model' in err and err.count('\n') == 1

def test_bench_never_writes_into_the_repository(tmp_path):
    "`collab_tutorial bench` with a bad option exits before writing; by default it writes to bench/out, not bench/."
    repo = Path(__file__).resolve().parents[1]
    before = {p: p.stat().st_mtime_ns for p in (repo/'bench').glob('results.*')}
    r = subprocess.run([sys.executable, '-c', 'import sys; from collab_tutorial.cli import main; sys.exit(main())', 'bench', '--sizes', '0'], capture_output=True, text=True, cwd=repo)
    assert r.returncode != 0
    assert before == {p: p.stat().st_mtime_ns for p in (repo/'bench').glob('results.*')}

def test_diverging_training_saves_nothing(tmp_path, capsys):
    "A learning rate far too large makes the loss NaN: the command says so, suggests a smaller one, and saves nothing."
    out = tmp_path/'m.safetensors'
    rc, stdout, err = run(['train', '--lr', '1e6', '--epochs', '1', '--out', str(out)], capsys)
    assert rc == 1, err
    assert 'training diverged' in err and 'smaller learning rate' in err and 'Nothing was saved' in err
    assert not out.exists() and list(tmp_path.iterdir()) == []

def test_diverging_rank_training_saves_nothing(tmp_path, capsys):
    "The ranking objective refuses to save NaN weights too, with the same advice."
    out = tmp_path/'r.safetensors'
    rc, stdout, err = run(['train', '--objective', 'rank', '--lr', '1e9', '--epochs', '1', '--factors', '8', '--out', str(out)], capsys)
    assert rc == 1, (err, stdout)
    assert 'training diverged' in err and 'smaller learning rate' in err and 'Nothing was saved' in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.fixture
def standin(tmp_path, monkeypatch):
    "A synthetic ml-25m-format release in tmp_path, registered under its own name; the cache in tmp_path too."
    from collab_tutorial.scale import synthetic_release
    from collab_tutorial.movielens import RELEASES
    monkeypatch.setenv('COLLAB_TUTORIAL_CACHE', str(tmp_path/'cache'))
    rel = synthetic_release(tmp_path, 'ml-25m', n_ratings=30_000, n_users=400, n_items=800)
    monkeypatch.setitem(RELEASES, rel.name, rel)
    return rel

def test_train_dataset_end_to_end(standin, tmp_path, capsys):
    "`train --dataset` on a stand-in in ml-25m's exact format: fit_sgd trains, the model saves, `recommend` reads it."
    model = tmp_path/'m.safetensors'
    rc, out, err = run(['train', '--dataset', standin.name, '--data-dir', str(tmp_path), '--epochs', '4', '--out', str(model)], capsys)
    assert rc == 0, err
    assert 'Training fit_sgd on ml-25m-synthetic: 4 epochs' in out and 'Top 5 for user 1' in out
    assert float(out.split('validation RMSE ')[1].split()[0]) < 1.0
    from collab_tutorial.persist import load_model
    m, classes, meta = load_model(model)
    assert (meta['trainer'], meta['data'], classes['user'][0], classes['title'][0]) == ('fit_sgd', standin.name, '#na#', '#na#')
    rc, out, err = run(['recommend', '--user', '1', '-n', '3', '--model-path', str(model)], capsys)
    assert rc == 0 and len(out.strip().splitlines()) == 5, (out, err)
    from collab_tutorial.movielens import load_movielens
    seen = set(load_movielens(standin, tmp_path).query('user == 1').title)
    assert not any(t in out for t in seen), 'recommend --user listed a movie the user rated'

def test_train_dataset_errors(standin, tmp_path, capsys):
    "A missing folder, an unknown user and a diverging run each end in one line on stderr, and nothing is saved."
    out_model = tmp_path/'never.safetensors'
    for argv, msg in [(['--data-dir', str(tmp_path/'nope')], 'does not exist'),
                      (['--data-dir', str(tmp_path), '--user', '99999'], 'user 99999 is not in ml-25m-synthetic'),
                      (['--data-dir', str(tmp_path), '--lr', '1e6', '--epochs', '1'], 'try a smaller one. Nothing was saved')]:
        rc, out, err = run(['train', '--dataset', standin.name, '--out', str(out_model), *argv], capsys)
        assert rc == 1 and msg in err and len(err.strip().splitlines()) == 1, (argv, err)
    assert not out_model.exists()

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
    (['train', '--bs', '1e3'], 2, "--bs: expected a positive whole number, got '1e3'"),
    (['train', '--lr', '-1'], 2, "--lr: expected a positive number, got '-1'"),
    (['train', '--wd', 'inf'], 2, "--wd: expected a number >= 0, got 'inf'"),
    (['train', '--factors', '2.5'], 2, "--factors: expected a positive whole number, got '2.5'"),
    (['train', '--objective', 'rank', '--lr', 'nan'], 2, "--lr: expected a positive number, got 'nan'"),
    (['train', '--dataset', 'ml-25m', '--wd', '-1'], 2, "--wd: expected a number >= 0, got '-1'"),
    (['train', '--seed', '-1'], 2, "--seed"),
    (['train', '--seed', 'abc'], 2, "--seed"),
    (['train', '--threads', '-1'], 2, "--threads: expected a whole number >= 0"),
    (['train', '--model', 'svd'], 2, "--model: invalid choice: 'svd'"),
    (['train', '--objective', 'bpr'], 2, "--objective: invalid choice: 'bpr'"),
    (['train', '--unseen', 'skip'], 2, "--unseen: invalid choice: 'skip'"),
    (['train', '--data-dir', 'README.md'], 1, '--data-dir README.md is a file, not a folder'),
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

@pytest.mark.parametrize('objective', ['rating', 'rank'])
def test_factors_too_large_for_memory(objective, tmp_path, capsys):
    "A --factors whose tables would not fit in memory: one line naming --factors, after the data are read, before training."
    out = tmp_path/'m.safetensors'
    rc, stdout, err = run(['train', '--objective', objective, '--factors', '1000000000000', '--out', str(out)], capsys)
    assert rc == 1 and err.count('error:') == 1 and 'Traceback' not in err and not out.exists(), err
    assert 'error: --factors 1,000,000,000,000 makes factor tables of 944 + ' in err and err.strip().endswith(': lower --factors'), err

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
    assert 'error: nothing was saved: training diverged at epoch 0 (loss nan): lower --lr (now 1e+06), e.g. to 100000' in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == [] and 'Traceback' not in err

@pytest.mark.parametrize('opts,msg', [(['--lr', '1e9'], 'lower --lr (now 1e+09), e.g. to 1e+08'),
                                      (['--wd', '1e6'], 'lower --wd (now 1e+06), e.g. to 50: with --lr 0.01, --lr × --wd must stay below 1')])
def test_diverging_rank_training_saves_nothing(tmp_path, capsys, opts, msg):
    "The ranking objective refuses to save NaN weights too, and blames the setting that diverged, never suggesting the value in use."
    out = tmp_path/'r.safetensors'
    rc, stdout, err = run(['train', '--objective', 'rank', *opts, '--epochs', '1', '--factors', '8', '--out', str(out)], capsys)
    assert rc == 1, (err, stdout)
    assert 'nothing was saved: training diverged at epoch 0' in err and msg in err, err
    assert not out.exists() and list(tmp_path.iterdir()) == []

def test_recommend_watched_every_title_says_so_in_words(tmp_path, capsys):
    "A new user who watched every title gets a sentence, not pandas' 'Empty DataFrame'."
    import pandas as pd
    from collab_tutorial.rank import train_rank
    from collab_tutorial.persist import save_model
    ratings = pd.DataFrame({'user': [1, 1, 2, 2, 3], 'title': ['A', 'B', 'B', 'C', 'A'], 'rating': [4] * 5})
    model, classes = train_rank(ratings, item_name='title', n_factors=4, epochs=2, bs=2)
    path = save_model(model, classes, tmp_path/'r.safetensors')
    rc, out, err = run(['recommend', '--watched', 'A', 'B', 'C', '--model-path', str(path)], capsys)
    assert rc == 0 and 'Empty DataFrame' not in out and 'nothing left to recommend' in out, (out, err)
    rc, out, err = run(['recommend', '--watched', 'A', '--model-path', str(path)], capsys)
    assert rc == 0 and sorted(l.split()[0] for l in out.strip().splitlines()[2:]) == ['B', 'C'] and '#na#' not in out, out


@pytest.fixture
def standin(tmp_path, monkeypatch):
    "A synthetic ml-25m-format release in tmp_path, registered under its own name; the cache in tmp_path too."
    from collab_tutorial.synthetic import synthetic_release
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
                      (['--data-dir', str(tmp_path), '--lr', '1e6', '--epochs', '1'], 'nothing was saved: training diverged at epoch 0 (loss nan): lower --lr (now 1e+06)'),
                      (['--data-dir', str(tmp_path), '--wd', '1e6', '--epochs', '1'], 'lower --wd (now 1e+06), e.g. to 7.14: with --lr 0.07')]:
        rc, out, err = run(['train', '--dataset', standin.name, '--out', str(out_model), *argv], capsys)
        assert rc == 1 and msg in err and len(err.strip().splitlines()) == 1, (argv, err)
    assert not out_model.exists()


# ---- The newcomer's rough edges: messages in the command's words, quick refusals, what to run next ----

def test_missing_data_dir_names_the_option(tmp_path, capsys, no_loading):
    "A --data-dir that does not exist is refused before any loading, naming the option (never the Python argument `dest`)."
    for extra in ([], ['--dataset', 'ml-latest-small']):
        rc, out, err = run(['train', '--data-dir', str(tmp_path/'no-such-folder'), *extra], capsys)
        assert rc == 1 and '--data-dir' in err and 'does not exist' in err and '`dest`' not in err, err
        assert len(err.strip().splitlines()) == 1

def test_release_messages_name_the_option(tmp_path, capsys):
    "The MovieLens loaders speak of `dest`; on the command line the same advice names --data-dir."
    rc, out, err = run(['train', '--dataset', 'ml-latest-small', '--data-dir', str(tmp_path)], capsys)
    assert rc == 1 and 'pass --data-dir a folder' in err and '`dest`' not in err, err

def test_warnings_are_one_line_notes(capsys, monkeypatch):
    "A warning from the package prints as one `note:` line on stderr in the command's words, with no Python source."
    import warnings
    import numpy as np
    from collab_tutorial import cli
    from collab_tutorial.dataloaders import unseen_keep
    def warns(args):
        unseen_keep(np.array([[0, 1], [1, 1]]), 'warn', 'title')   # the package's unseen-rows warning
        warnings.warn('a warning from another library')          # dropped: not this package's
        return 0
    monkeypatch.setitem(cli.COMMANDS, 'data', warns)
    rc, out, err = run(['data'], capsys)
    assert rc == 0 and err.startswith('note: 1 of 2 validation rows') and err.count('\n') == 1, err
    assert "unseen='" not in err and 'another library' not in err and '.py' not in err, err
    assert cli.cli_words("unseen='error' or `dest`") == '--unseen error or --data-dir'
    assert '--unseen drop' in err and '--unseen keep' in err, err   # both ways out are named as options

def test_no_progress_glyph_on_stdout(capsys, monkeypatch):
    "fastprogress's console bar prints a glyph when it is made; piped, `data` and `train` show no bar at all."
    import fastdownload.core
    from collab_tutorial import cli
    def downloads(args):
        bar = fastdownload.core.progress_bar([])  # what fastdownload's download_url does first
        bar.total = 10; bar.update(5)
        print('Download failed')
        return 0
    monkeypatch.setattr(fastdownload.core, 'progress_bar', fastdownload.core.progress_bar)  # undone after the test
    monkeypatch.setitem(cli.COMMANDS, 'data', downloads)
    rc, out, err = run(['data'], capsys)
    assert rc == 0 and out == 'Download failed\n', repr(out)

def _tiny_model(path):
    "A saved two-user, three-movie dot-product model, as `train` saves one."
    from collab_tutorial.fast import MFModel
    from collab_tutorial.persist import save_model
    classes = {'user': ['#na#', 1, 2], 'title': ['#na#', 'A (1990)', 'B (1991)', 'C (1992)']}
    return save_model(MFModel(3, 4, 2, seed=0), classes, path, meta=dict(model='dot', data='MovieLens 100K'))

QUICK = "import sys; from collab_tutorial.cli import main; rc = main(sys.argv[1:]); print('torch' in sys.modules); sys.exit(rc)"

@pytest.mark.parametrize('argv', [['--help'], ['train', '--help'], ['recommend', '--help'], ['bench', '--help'],
                                  ['train', '--epochs', '0'], ['bench', '--threads', '-2'],
                                  ['recommend', '--user', 'abc', '--model-path', 'MODEL']])
def test_help_and_argument_errors_answer_before_torch_loads(argv, tmp_path):
    "`--help` and a mistyped argument are answered before torch (seconds to import) is loaded."
    model = _tiny_model(tmp_path/'m.safetensors')
    argv = [str(model) if a == 'MODEL' else a for a in argv]
    r = subprocess.run([sys.executable, '-c', QUICK, *argv], capture_output=True, text=True)
    assert r.stdout.strip().splitlines()[-1] == 'False', (argv, r.stdout[-300:], r.stderr)
    if 'abc' in argv: assert r.returncode == 1 and "user ids are whole numbers, got 'abc'" in r.stderr, r.stderr

def test_train_says_what_to_run_next_and_when_it_replaces_a_model(tmp_path, capsys, monkeypatch):
    "After training, the command prints the `recommend` line for the model it saved, and that line works; a model of the"
    " other objective at the same path is replaced with a note that says so."
    monkeypatch.chdir(tmp_path)
    out = tmp_path/'m.safetensors'
    rc, stdout, err = run(['train', '--epochs', '1', '--factors', '4', '--out', str(out)], capsys)
    assert rc == 0, err
    nxt = stdout.strip().splitlines()[-1]
    assert nxt == f'Next: collab_tutorial recommend --user 196 --model-path {out}', nxt
    assert '--unseen drop' in err and "unseen='drop'" not in err, err   # the note names the command's option
    rc, rec, err = run(nxt.removeprefix('Next: collab_tutorial ').split(), capsys)
    assert rc == 0 and 'Top 10 for user 196' in rec, err
    rc, stdout, err = run(['train', '--objective', 'rank', '--epochs', '1', '--factors', '8', '--out', str(out)], capsys)
    assert rc == 0, err
    assert f'note: {out} held a rating model (dot); it is replaced by this ranking model (RankMF)' in err, err
    assert stdout.strip().splitlines()[-1].startswith(f'Next: collab_tutorial recommend --user 196 --model-path {out} (or --watched')


# ---- train --ratings: a file of your own, trained by Recommender; recommend on the file it saves ----

@pytest.fixture
def shop(tmp_path):
    "A shop's purchases (string ids, no ratings), the same with stars, and a titles file in which two skus share a title."
    import numpy as np
    rng = np.random.default_rng(0)
    rows = [(f'cust-{c:04d}', f'sku-{k:02d}') for c in range(60) for k in rng.choice(20, 5, replace=False)]
    (tmp_path/'shop.csv').write_text('customer,sku\n' + ''.join(f'{c},{k}\n' for c, k in rows))
    (tmp_path/'stars.tsv').write_text('customer\tsku\tstars\n' + ''.join(f'{c}\t{k}\t{1 + i % 5}\n' for i, (c, k) in enumerate(rows)))
    (tmp_path/'skus.csv').write_text('sku,title\n' + ''.join(f'sku-{k:02d},Thing {k % 18}\n' for k in range(20)))
    return tmp_path

SHOP = ['--user-col', 'customer', '--item-col', 'sku', '--epochs', '2', '--factors', '4']

def test_train_file_rank_round_trip(shop, capsys):
    "Purchases without ratings train the ranking model; `recommend` answers from the model file alone, by id or title."
    out = shop/'m.safetensors'
    rc, stdout, err = run(['train', '--ratings', str(shop/'shop.csv'), *SHOP, '--no-rating', '--titles', str(shop/'skus.csv'),
                           '--user', 'cust-0042', '--out', str(out)], capsys)
    assert rc == 0, err
    assert 'Training fit_rank (rank) on 300 rows' in stdout and 'ndcg@10' in stdout and 'Top 5 for user cust-0042' in stdout
    assert stdout.strip().splitlines()[-1] == f'Next: collab_tutorial recommend --user cust-0042 --model-path {out} (or --watched ITEM ... for someone new)'
    for f in ('shop.csv', 'skus.csv'): (shop/f).unlink()   # recommend never reads the data again
    rc, stdout, err = run(['recommend', '--user', 'cust-0042', '-n', '3', '--model-path', str(out)], capsys)
    assert rc == 0 and 'Top 3 for user cust-0042' in stdout and len(stdout.strip().splitlines()) == 5, (stdout, err)
    rc, stdout, err = run(['recommend', '--similar', 'Thing 3', '-n', '2', '--model-path', str(out)], capsys)
    assert rc == 0 and 'Closest to Thing 3:' in stdout and 'sku-03' not in stdout.split(':', 1)[1], (stdout, err)
    rc, stdout, err = run(['recommend', '--watched', 'sku-03', 'Thing 4', '--model-path', str(out)], capsys)
    assert rc == 0 and 'for someone who has sku-03, Thing 4' in stdout and 'sku-04 ' not in stdout, (stdout, err)

def test_train_file_rating_round_trip(shop, capsys):
    "A file with ratings trains the rating model (fit_mf); ids stay strings, and --watched is refused in words."
    out = shop/'r.safetensors'
    rc, stdout, err = run(['train', '--ratings', str(shop/'stars.tsv'), *SHOP, '--rating-col', 'stars', '--out', str(out)], capsys)
    assert rc == 0, err
    assert 'Training fit_mf (rating) on 300 rows' in stdout and 'rmse' in stdout and 'Top 5 for user cust-0000' in stdout
    (shop/'stars.tsv').unlink()
    rc, stdout, err = run(['recommend', '--user', 'cust-0001', '--model-path', str(out)], capsys)
    assert rc == 0 and 'Top 10 for user cust-0001' in stdout, err
    rc, stdout, err = run(['recommend', '--watched', 'sku-01', '--model-path', str(out)], capsys)
    assert rc == 1 and '--watched needs a model trained without ratings' in err and err.count('\n') == 1

@pytest.mark.parametrize('rating', [['--no-rating'], ['--rating-col', 'stars']], ids=['rank', 'rating'])
def test_train_file_valid_pct_zero_trains_on_every_row(shop, capsys, rating):
    "--valid-pct 0: the model to put in use learns from every row, and the command says there are no validation figures."
    from collab_tutorial.recommender import Recommender
    out = shop/'all.safetensors'
    fn = 'shop.csv' if rating == ['--no-rating'] else 'stars.tsv'
    rc, stdout, err = run(['train', '--ratings', str(shop/fn), *SHOP, *rating, '--valid-pct', '0', '--out', str(out)], capsys)
    assert rc == 0 and '0% held out' in stdout and 'no rows held out (--valid-pct 0)' in stdout and 'validation on' not in stdout, (stdout, err)
    rec = Recommender.load(out)
    assert rec.valid == {} and rec.meta['valid_pct'] == 0 and rec.meta['data']['train_rows'] == 300

def test_recommend_file_empty_results_in_words(shop, capsys):
    "A user who has every item gets a sentence, never pandas' `Empty DataFrame`; integer-looking ids stay as written."
    rows = [('007', m) for m in range(1, 13)] + [(u, m) for u in range(8, 20) for m in (u % 12 + 1, (u + 5) % 12 + 1)]
    (shop/'tiny.csv').write_text('user,movie\n' + ''.join(f'{u},{m}\n' for u, m in rows))
    out = shop/'t.safetensors'
    rc, stdout, err = run(['train', '--ratings', str(shop/'tiny.csv'), '--no-rating', '--epochs', '1', '--factors', '2',
                           '--out', str(out)], capsys)
    assert rc == 0, err
    rc, stdout, err = run(['recommend', '--user', '007', '--model-path', str(out)], capsys)
    assert rc == 0 and 'Empty DataFrame' not in stdout and 'nothing left to recommend' in stdout, (stdout, err)
    rc, stdout, err = run(['recommend', '--user', '7', '--model-path', str(out)], capsys)
    assert rc == 1 and "no user id '7'" in err, err

# (extra argv after `train`, exit status, fragment of stderr); the shop fixture's files are SHOP_CSV, TITLES, NOTES
FILE_BAD = [
    (['--ratings', 'SHOP_CSV', '--dataset', 'ml-1m'], 1, '--dataset is for MovieLens, and --ratings trains on your own file'),
    (['--ratings', 'SHOP_CSV', '--data-dir', '.'], 1, '--data-dir is for MovieLens, and --ratings trains on your own file'),
    (['--ratings', 'SHOP_CSV', '--model', 'nn'], 1, '--model nn is for MovieLens, and --ratings trains on your own file: leave out --model or --ratings'),
    (['--ratings', 'SHOP_CSV', '--unseen', 'drop'], 1, '--unseen is for MovieLens'),
    (['--user-col', 'customer'], 1, '--user-col describes a file of your own: add --ratings FILE'),
    (['--no-rating'], 1, '--no-rating describes a file of your own'),
    (['--titles', 'TITLES'], 1, '--titles describes a file of your own'),
    (['--valid-pct', '0.1'], 1, '--valid-pct describes a file of your own'),
    (['--ratings', 'SHOP_CSV', '--no-rating', '--rating-col', 'stars'], 2, 'argument --rating-col: not allowed with argument --no-rating'),
    (['--ratings', 'SHOP_CSV', '--no-rating', '--objective', 'rating'], 1, '--objective rating needs ratings: leave out --no-rating'),
    (['--ratings', 'SHOP_CSV', '--valid-pct', '1'], 2, "--valid-pct: expected a fraction from 0 up to but not including 1, got '1'"),
    (['--ratings', 'SHOP_CSV', '--valid-pct', '-0.1'], 2, "--valid-pct: expected a fraction from 0 up to but not including 1, got '-0.1'"),
    (['--ratings', 'SHOP_CSV', '--valid-pct', 'nan'], 2, "--valid-pct: expected a fraction from 0 up to but not including 1, got 'nan'"),
    (['--ratings', 'SHOP_CSV', '--repeats', 'sum'], 2, "--repeats: invalid choice: 'sum'"),
    (['--ratings', 'SHOP_CSV', '--epochs', '0'], 2, '--epochs: expected a positive whole number'),
    (['--ratings', 'NOTES'], 1, "--ratings NOTES ends with '.txt': give a .csv, .tsv, .parquet file"),
    (['--ratings', 'missing.csv'], 1, '--ratings missing.csv does not exist'),
    (['--ratings', 'FOLDER.csv'], 1, 'is a folder, not a file'),
    (['--ratings', 'SHOP_CSV', '--titles', 'NOTES'], 1, "--titles NOTES ends with '.txt'"),
    (['--ratings', 'shop.parquet'], 1, 'shop.parquet'),
    (['--ratings', 'SHOP_CSV', '--out', '.'], 1, '--out names a folder (.)'),
    (['--ratings', 'SHOP_CSV', '--user-col', 'customer', '--item-col', 'sku'], 1,
     "SHOP_CSV has no column 'rating' (--rating-col); its columns are 'customer', 'sku'. Fix: pass --rating-col one of those."),
    (['--ratings', 'SHOP_CSV', '--no-rating'], 1, "SHOP_CSV has no column 'user' (--user-col); its columns are 'customer', 'sku'. Fix: pass --user-col one of those."),
    (['--ratings', 'SHOP_CSV', '--no-rating', '--user-col', 'customer', '--item-col', 'customer'], 1,
     '--user-col, --item-col and --rating-col must name different columns'),
    (['--ratings', 'BAD_CSV', '--no-rating'], 1, "BAD_CSV line 3, column 'movie' (--item-col) is empty. Fix: correct that line of the file."),
    (['--ratings', 'BAD_CSV', '--no-rating', '--user-col', 'movie', '--item-col', 'user'], 1, 'BAD_CSV line 3, column'),
    (['--ratings', 'STARS_TSV', '--user-col', 'customer', '--item-col', 'sku', '--rating-col', 'stars', '--repeats', 'error'], 1,
     "STARS_TSV line 303 repeats user 'cust-0000' with item 'sku-99' (first on line 302)"),
    (['--ratings', 'STARS_TSV', '--user-col', 'customer', '--item-col', 'sku', '--rating-col', 'stars'], 1,
     "Fix: pass --repeats first, last or mean to keep one row per pair."),
    (['--ratings', 'SHOP_CSV', '--no-rating', '--user-col', 'customer', '--item-col', 'sku', '--titles', 'TITLES', '--title-col', 'name'], 1,
     "has no column 'name' (--title-col)"),
    (['--ratings', 'SHOP_CSV', '--no-rating', '--user-col', 'customer', '--item-col', 'sku', '--factors', '1000000000000'], 1,
     '--factors 1,000,000,000,000 makes factor tables of'),
    (['--ratings', 'SHOP_CSV', '--no-rating', '--user-col', 'customer', '--item-col', 'sku', '--user', 'cust-9999'], 1,
     '--user cust-9999 is not in column \'customer\' of SHOP_CSV (its first user is cust-0000)'),
]

@pytest.mark.parametrize('argv,rc,msg', FILE_BAD, ids=[' '.join(a) for a, _, _ in FILE_BAD])
def test_train_file_bad_input(argv, rc, msg, shop, capsys, monkeypatch):
    "Each bad option or file: its exit status, one line naming the option (never a Python parameter), no model file."
    monkeypatch.chdir(shop)
    (shop/'notes.txt').write_text('x'); (shop/'folder.csv').mkdir()
    (shop/'bad.csv').write_text('user,movie\na,1\nb,\n')
    (shop/'stars.tsv').write_text((shop/'stars.tsv').read_text() + 'cust-0000\tsku-99\t3\ncust-0000\tsku-99\t4\n')
    (shop/'shop.parquet').write_bytes(b'PAR1')
    names = dict(SHOP_CSV='shop.csv', TITLES='skus.csv', NOTES='notes.txt', FOLDER='folder', BAD_CSV='bad.csv', STARS_TSV='stars.tsv')
    sub = lambda s: next((s.replace(k, v) for k, v in names.items() if k in s), s)
    out = shop/'never.safetensors'
    got, stdout, err = run(['train', *map(sub, argv), *(['--out', str(out)] if '--out' not in argv else [])], capsys)
    assert got == rc, (got, err)
    assert sub(msg) in err, err
    assert 'Traceback' not in err and "=" not in err.split('error:')[-1].replace('==', ''), err
    if rc == 1: assert err.startswith('collab_tutorial train: error: ') and err.count('\n') == 1, err
    assert not out.exists() and not list(shop.glob('*.safetensors*')) and 'Training' not in stdout

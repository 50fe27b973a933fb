"The top-10 panel (nbs/12a_your_top10.ipynb): what each bad input gets, and the package without ipywidgets."
import subprocess, sys, warnings
import pandas as pd, pytest, torch
from collab_tutorial.data import DataError
from collab_tutorial.fast import MFModel
from collab_tutorial.rank import RankMF
from collab_tutorial.panel import movie_genres, closest_liked, top10, top10_panel

TITLES = ['#na#', 'Alien (1979)', 'Babe (1995)', 'Casablanca (1942)', 'Dune (1984)', 'Emma (1996)', 'Fargo (1996)']
CLASSES = {'user': ['#na#', 1, 2, 3], 'title': TITLES}

@pytest.fixture
def model(): return MFModel(4, len(TITLES), 3, seed=0)

@pytest.fixture
def ranker():
    torch.manual_seed(0)
    return RankMF(4, len(TITLES), 3)

BAD = [  # (rated, error, what the message must say)
    (['Alien (1979)'], TypeError, 'rated must be a dict'),
    ('Alien (1979)', TypeError, 'rated must be a dict'),
    ({'Alien': 5}, KeyError, 'Alien'),
    ({'Alien (1979)': 6}, ValueError, 'Alien (1979)'),
    ({'Alien (1979)': float('nan')}, ValueError, 'finite number'),
    ({'Alien (1979)': 'five'}, ValueError, 'finite number'),
]

@pytest.mark.parametrize('rated,err,says', BAD, ids=[repr(b[0]) for b in BAD])
def test_bad_ratings(model, rated, err, says):
    with pytest.raises(err, match=None) as e: top10(model, CLASSES, rated, item_name='title')
    assert says in str(e.value), str(e.value)

# (case, call taking the model, exception, what the message must say): the other arguments of the panel's functions
BAD_ARGS = [
    ('classes without the item entry', lambda m: top10(m, {'user': CLASSES['user'], 'movie': TITLES}, {'Alien (1979)': 5}, item_name='title'),
     KeyError, "classes has no 'title' entry (item_name=); it has ['user', 'movie']"),
    ('classes a list', lambda m: top10(m, TITLES, {'Alien (1979)': 5}, item_name='title'), KeyError, 'classes has no'),
    ('classes of another model', lambda m: top10(MFModel(4, 5, 3), CLASSES, {'Alien (1979)': 5}, item_name='title'), ValueError,
     "the model has 5 item rows but classes['title'] has 7 entries: pass the classes the model was trained with"),
    ('model a string', lambda m: top10('model', CLASSES, {'Alien (1979)': 5}, item_name='title'), TypeError,
     'model must be a dot-product model or a RankMF, with factor tables; got str'),
    ('genres a list', lambda m: top10(m, CLASSES, {'Alien (1979)': 5}, ['Drama'], item_name='title'), TypeError,
     'genres must be a Series or dict of genres by title'),
    ('stars True', lambda m: top10(m, CLASSES, {'Alien (1979)': True}, item_name='title'), ValueError, 'must be a finite number, got True'),
    ('stars infinite', lambda m: top10(m, CLASSES, {'Alien (1979)': float('inf')}, item_name='title'), ValueError, 'finite number'),
    ('#na# rated', lambda m: top10(m, CLASSES, {'#na#': 5}, item_name='title'), KeyError, "unknown title '#na#'"),
    ('n True', lambda m: top10(m, CLASSES, {'Alien (1979)': 5}, n=True, item_name='title'), ValueError, 'n must be a whole number'),
    ('liked a string', lambda m: closest_liked(m, CLASSES, 'Fargo (1996)', 'Emma (1996)', item_name='title'), TypeError,
     "liked must be a list of titles, got str 'Emma (1996)'"),
    ('panel: n zero', lambda m: top10_panel(m, CLASSES, n=0, item_name='title'), ValueError, 'n must be a whole number of at least 1, got 0'),
    ('panel: no model', lambda m: top10_panel(None, CLASSES, item_name='title'), TypeError, 'model must be a dot-product model'),
    ('panel: classes of another model', lambda m: top10_panel(MFModel(4, 5, 3), CLASSES, item_name='title'), ValueError, 'item rows'),
    ('panel: genres a number', lambda m: top10_panel(m, CLASSES, 3, item_name='title'), TypeError, 'genres must be a Series or dict'),
    ('genres: a file for the folder', lambda m: movie_genres(__file__), DataError, 'The folder `path` names'),
    ('genres: a missing folder', lambda m: movie_genres('/nonexistent/ml-100k'), DataError, 'does not exist. Fix: pass `path` a folder'),
]

@pytest.mark.parametrize('case,call,err,says', BAD_ARGS, ids=[b[0] for b in BAD_ARGS])
def test_bad_arguments(model, case, call, err, says):
    "Each bad argument: one error that names it and says what to pass, before anything is scored or shown."
    with pytest.raises(err) as e: call(model)
    assert says in str(e.value) and '`dest`' not in str(e.value), str(e.value)

def test_genres_as_a_dict(model):
    assert set(top10(model, CLASSES, {'Alien (1979)': 5}, {t: 'Drama' for t in TITLES}, n=2, item_name='title').genres) == {'Drama'}

def test_bad_n(model):
    for n in (0, -1, 2.5, 'ten'):
        with pytest.raises((ValueError, TypeError), match='n'): top10(model, CLASSES, {'Alien (1979)': 5}, n=n, item_name='title')

def test_list_leaves_out_rated_and_gives_reasons(model):
    recs = top10(model, CLASSES, {'Alien (1979)': 5, 'Babe (1995)': 1}, n=3, item_name='title')
    assert len(recs) == 3 and not {'Alien (1979)', 'Babe (1995)', '#na#'} & set(recs.title)
    assert set(recs['because you liked']) == {'Alien (1979)'}        # Babe has one star: never a reason

def test_n_larger_than_catalogue(model):
    assert len(top10(model, CLASSES, {'Alien (1979)': 5}, n=50, item_name='title')) == len(TITLES) - 2   # all but #na# and the rated

def test_ranker_takes_titles_and_ignores_stars(ranker):
    a = top10(ranker, CLASSES, {'Alien (1979)': 'watched', 'Dune (1984)': 'watched'}, n=3, item_name='title')
    b = top10(ranker, CLASSES, {'Alien (1979)': 1, 'Dune (1984)': 5}, n=3, item_name='title')
    assert list(a.title) == list(b.title) and set(a['because you liked']) <= {'Alien (1979)', 'Dune (1984)'}
    with pytest.raises(KeyError, match='Dunes'): top10(ranker, CLASSES, {'Dunes': 'watched'}, item_name='title')

def test_closest_liked(model):
    assert closest_liked(model, CLASSES, 'Fargo (1996)', [], item_name='title') is None
    assert closest_liked(model, CLASSES, 'Fargo (1996)', ['Fargo (1996)'], item_name='title') is None
    assert closest_liked(model, CLASSES, 'Fargo (1996)', ['Emma (1996)'], item_name='title') == 'Emma (1996)'
    with pytest.raises(KeyError, match='Fargo'): closest_liked(model, CLASSES, 'Fargo', ['Emma (1996)'], item_name='title')

def test_genres_column(model):
    g = pd.Series({t: 'Drama' for t in TITLES[1:]})
    assert set(top10(model, CLASSES, {'Alien (1979)': 5}, g, n=2, item_name='title').genres) == {'Drama'}
    assert set(top10(model, CLASSES, {'Alien (1979)': 5}, pd.Series(dtype=str), n=2, item_name='title').genres) == {''}  # unknown: blank

def test_movie_genres_bad_folder(tmp_path):
    with pytest.raises((DataError, FileNotFoundError, NotADirectoryError), match='u.item|u.data'): movie_genres(tmp_path)
    (tmp_path/'u.data').write_text('1\t1\t5\t881250949\n')
    (tmp_path/'u.item').write_text('1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|2\n')
    with pytest.raises(DataError, match='genre flag'): movie_genres(tmp_path)

def test_panel_wiring(model):
    p = top10_panel(model, CLASSES, n=3, item_name='title'); w = p.widgets
    w['rate'].click(); assert p.rated == {}                          # nothing picked: nothing rated
    w['find'].value = 'FARGO'; assert w['pick'].options == ('Fargo (1996)',)   # case does not matter
    w['pick'].value = 'Fargo (1996)'; w['stars'].value = 5; w['rate'].click(); w['go'].click()
    assert p.rated == {'Fargo (1996)': 5} and w['list'].value.count('<tr') == 4
    w['find'].value = '  '; assert w['pick'].options == ()

def test_package_imports_without_ipywidgets(tmp_path):
    "With ipywidgets missing, the package and the panel module import; only `top10_panel` says what to install."
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "import collab_tutorial, collab_tutorial.cli, collab_tutorial.panel as p\n"
            "try: p.top10_panel(None, {'title': ['#na#']})\n"
            "except ImportError as e: print(e)\n")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0 and 'pip install ipywidgets' in out.stdout, out.stderr

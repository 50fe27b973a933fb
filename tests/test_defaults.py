"""One default name per column ('user', 'movie', 'rating'), columns chosen by name, and one clear message for each
slip a practitioner made trying the package (issue 19)."""
import warnings
import numpy as np, pandas as pd, pytest, torch
from collab_tutorial.checks import check_ratings
from collab_tutorial.fast import collab_tensors, fit_mf
from collab_tutorial.topn import rank_data, stratified_split
from collab_tutorial.rank import ease, fit_rank, train_rank, recommend_watched
from collab_tutorial.recommend import recommend
from collab_tutorial.interpret import most_similar, item_index

warnings.filterwarnings('ignore', message='.*validation rows')

def table(n_users=12, n_items=9, seed=0) -> pd.DataFrame:
    "Every user rates every item once: user, movie, rating columns, as `load_ratings` names them."
    g = np.random.default_rng(seed)
    u, i = np.meshgrid(np.arange(1, n_users + 1), np.arange(101, 101 + n_items), indexing='ij')
    return pd.DataFrame({'user': u.ravel(), 'movie': i.ravel(), 'rating': g.integers(1, 6, u.size).astype('float32')})

DF = table()
OWN = DF.rename(columns={'user': 'customer', 'movie': 'sku'})[['sku', 'customer']]   # implicit data, other names, another order

@pytest.fixture(scope='module')
def trained():
    d = collab_tensors(DF, seed=0)
    m, _ = fit_mf(*d['train'], len(d['classes']['user']), len(d['classes']['movie']), n_factors=4, epochs=1)
    return m, d['classes']

def test_defaults_agree(trained):
    "After a default collab_tensors, a default recommend and most_similar find the columns (was: KeyError 'title')."
    m, cl = trained
    assert set(cl) == {'user', 'movie'}
    assert len(recommend(m, cl, 1, DF.iloc[:3], n=2)) == 2
    assert len(most_similar(m, cl, 101, n=2)) == 2

def test_columns_by_name_not_position():
    "A table whose columns come in another order is read by name; ratings land in the rating column."
    d = collab_tensors(DF[['rating', 'movie', 'user']], valid_pct=0, seed=0)
    assert torch.equal(d['train'][2].sort().values, torch.tensor(DF.rating.to_numpy()).sort().values)

def test_train_on_all_rows():
    d = collab_tensors(DF, valid_pct=0, seed=0)
    assert len(d['train'][0]) == len(DF) and len(d['valid'][0]) == 0

def test_implicit_two_columns():
    "train_rank needs no rating column; its classes are keyed by the caller's names."
    model, cl = train_rank(OWN, user_name='customer', item_name='sku', n_factors=4, epochs=1)
    assert set(cl) == {'customer', 'sku'}
    assert len(recommend_watched(model, cl, [101], n=3, item_name='sku')) == 3
    d = rank_data(OWN, stratified_split(OWN, by='sku'), user_name='customer', item_name='sku', rating_name=None)
    assert (d['rows'][2] == 1).all()

BAD = [  # (case, call, exception, message fragment)
    ('column chosen by position', lambda m, cl: collab_tensors(DF.rename(columns={'user': 'sku'})), KeyError,
     "ratings has no column 'user' (the user_name argument); it has ['sku', 'movie', 'rating']"),
    ('missing rating column', lambda m, cl: collab_tensors(DF[['user', 'movie']]), KeyError,
     "no column 'rating' (the rating_name argument)"),
    ('recommend on a table without titles', lambda m, cl: recommend(m, cl, 1, DF, item_name='title'), KeyError,
     "no column 'title' (the item_name argument)"),
    ('one array for a split', lambda m, cl: rank_data(DF, np.arange(50)), TypeError,
     'split must be a (train, test) pair of row positions, such as stratified_split(ratings) returns; got a ndarray of length 50'),
    ('one array for tensors_from_split', lambda m, cl: __import__('collab_tutorial.fast').fast.tensors_from_split(DF, np.arange(50)),
     TypeError, 'splits must be a (train, test) pair of row positions'),
    ('a table given to ease', lambda m, cl: ease(DF), TypeError,
     "X must be a (n_users, n_items) 0/1 matrix (a Tensor), got a DataFrame; from a table of ratings make it with rank_data"),
    ('a table given to fit_rank', lambda m, cl: fit_rank(DF), TypeError, 'or train on the table itself with train_rank(ratings)'),
    ('an unknown id', lambda m, cl: most_similar(m, cl, 99999, item_name='movie'), KeyError,
     "unknown movie 99999: not among the 9 movie values seen in training. Check the id. The ids the model knows run from 101 to 109."),
    ('an id of the wrong type', lambda m, cl: item_index(cl, '101'), KeyError,
     "The movie values are of type int (such as 101), not str"),
    ('train_rank on two columns with a rating name', lambda m, cl: train_rank(OWN, user_name='customer', item_name='title'), KeyError,
     "no column 'title' (the item_name argument); it has ['sku', 'customer']"),
    ('valid_pct negative', lambda m, cl: collab_tensors(DF, valid_pct=-0.1), ValueError, 'valid_pct must be a fraction'),
    ('validation empty given to fit_mf', lambda m, cl: fit_mf(*collab_tensors(DF, valid_pct=0)['train'], 13, 10,
                                                             valid=collab_tensors(DF, valid_pct=0)['valid']), ValueError,
     'validation ratings are empty: pass at least one rating, or valid=None to train without scoring'),
]

@pytest.mark.parametrize('case,call,exc,msg', BAD, ids=[b[0] for b in BAD])
def test_bad_input(trained, case, call, exc, msg):
    with pytest.raises(exc) as e: call(*trained)
    assert msg in str(e.value), str(e.value)

def test_no_near_miss_of_another_type(trained):
    "An unknown id never gets a 'did you mean' among strings made from the ids (was: suggesting '999')."
    _, cl = trained
    with pytest.raises(KeyError) as e: item_index(cl, 1010)
    assert 'Did you mean' not in str(e.value)

def test_check_ratings_implicit():
    assert check_ratings(OWN, 'customer', 'sku', None) == ('customer', 'sku', None)

"Public functions at the package's boundaries: each bad argument gets one clear error naming it, before any work."
import math, warnings
import numpy as np, pandas as pd, pytest, torch
from collab_tutorial.dataloaders import collab_dls, collab_codes, unseen_keep

warnings.filterwarnings('ignore', message='The given NumPy array is not writable')

NAN, INF = float('nan'), float('inf')

def bad_tables(df):
    "(case, table, kwargs, exception, message fragment) for `collab_dls`-like functions."
    return [
        ('empty', df.iloc[:0], {}, ValueError, 'ratings is empty'),
        ('not a DataFrame', df.values, {}, TypeError, 'must be a pandas DataFrame'),
        ('missing column', df, dict(item_name='title'), KeyError, "no column 'title' (the item_name argument); it has ['user', 'movie', 'rating']"),
        ('columns named otherwise', df.rename(columns={'user': 'customer'}), {}, KeyError, "no column 'user' (the user_name argument)"),
        ('NaN rating', df.assign(rating=[NAN] + list(df.rating[1:])), {}, ValueError, '1 values that are NaN or infinite'),
        ('infinite rating', df.assign(rating=[INF] + list(df.rating[1:])), {}, ValueError, 'NaN or infinite'),
        ('text ratings', df.assign(rating='4'), {}, TypeError, 'must hold numbers'),
        ('missing user', df.assign(user=[None] + list(df.user[1:])), {}, ValueError, "column 'user' has 1 missing values"),
        ('valid_pct negative', df, dict(valid_pct=-0.1), ValueError, 'valid_pct must be a fraction'),
        ('valid_pct one', df, dict(valid_pct=1.0), ValueError, 'valid_pct must be a fraction'),
        ('valid_pct NaN', df, dict(valid_pct=NAN), ValueError, 'valid_pct must be a fraction'),
        ('unknown unseen policy', df, dict(unseen='ignore'), ValueError, "unseen must be one of 'warn', 'drop', 'error'"),
    ]

def test_collab_dls_bad_input(toy):
    for case, df, kw, exc, msg in bad_tables(toy):
        with pytest.raises(exc) as e: collab_dls(df, seed=0, **kw)
        assert msg in str(e.value), (case, str(e.value))

def test_collab_dls_good_input(toy):
    "Every row lands in training or validation; 'drop' leaves out exactly the validation rows coded #na#, 'keep' none."
    df = pd.concat([toy, pd.DataFrame({'user': range(100, 110), 'movie': 1, 'rating': 3.})], ignore_index=True)
    kept = collab_dls(df, seed=0, bs=8, unseen='keep')      # ten users with one rating each: those in validation are unseen
    dropped = collab_dls(df, seed=0, bs=8, unseen='drop')
    unseen = int((kept.valid.xs == 0).any(axis=1).sum())
    assert len(kept.train_ds) + len(kept.valid_ds) == len(df) and unseen > 0
    assert len(dropped.valid_ds) == len(kept.valid_ds) - unseen and len(dropped.train_ds) == len(kept.train_ds)
    assert not (dropped.valid.xs == 0).any(axis=None)

def test_codes_match_fastai(toy):
    dls = collab_dls(toy, seed=0, bs=8)
    codes, classes = collab_codes(toy, dls.train_ds.items.index, 'user', 'movie')
    assert {k: list(v) for k, v in dls.classes.items()} == classes
    assert (codes[dls.valid_ds.items.index].numpy() == dls.valid.xs.to_numpy()).all()

def test_unseen_keep():
    codes = np.array([[1, 2], [0, 3], [4, 0]])
    assert list(unseen_keep(codes, 'drop')) == [0]
    with pytest.warns(UserWarning, match='2 of 3 validation rows'): assert list(unseen_keep(codes, 'warn')) == [0, 1, 2]
    with pytest.raises(ValueError, match='2 validation rows have a user or item'): unseen_keep(codes, 'error')

from collab_tutorial.fast import collab_tensors, fit_mf

def test_collab_tensors_bad_input(toy):
    "The tensor twin of `collab_dls` refuses the same tables and arguments with the same messages."
    for case, df, kw, exc, msg in bad_tables(toy):
        with pytest.raises(exc) as e: collab_tensors(df, seed=0, **kw)
        assert msg in str(e.value), (case, str(e.value))

def test_collab_tensors_matches_collab_dls(toy):
    d, dls = collab_tensors(toy, seed=0), collab_dls(toy, seed=0, bs=8)
    assert d['classes'] == {k: list(v) for k, v in dls.classes.items()}

u, i, r = torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1]), torch.tensor([3., 4., 5.])
BAD_FIT = [
    ('NaN rating', dict(ratings=torch.tensor([3., NAN, 5.])), 'NaN'),
    ('infinite rating', dict(ratings=torch.tensor([3., INF, 5.])), 'inf'),
    ('index past the table', dict(n_users=2), 'users'),
    ('zero epochs', dict(epochs=0), 'epochs must be a whole number of at least 1'),
    ('zero batch size', dict(bs=0), 'bs must be a whole number of at least 1'),
    ('bad y_range', dict(y_range=(5, 0)), 'y_range must be a (low, high) pair'),
    ('rating outside y_range', dict(ratings=torch.tensor([3., 4., 6.])), 'y_range'),
]
@pytest.mark.parametrize('case,kw,msg', BAD_FIT, ids=[c for c, _, _ in BAD_FIT])
def test_fit_mf_bad_input(case, kw, msg):
    args = dict(users=u, items=i, ratings=r, n_users=3, n_items=2) | kw
    with pytest.raises((ValueError, IndexError, TypeError)) as e: fit_mf(**args)
    assert msg.lower() in str(e.value).lower(), str(e.value)

from fastai.collab import EmbeddingDotBias
from collab_tutorial.recommend import recommend
from collab_tutorial.interpret import most_similar

CLASSES = {'user': ['#na#', 1, 2], 'title': ['#na#', 'a', 'b', 'c']}
RATED = pd.DataFrame({'user': [1, 1, 1, 2], 'title': ['a', 'b', 'c', 'a'], 'rating': [4., 3., 5., 2.]})

def model(nan: bool = False):
    torch.manual_seed(0); m = EmbeddingDotBias(3, 3, 4, y_range=(0, 5.5))
    if nan:
        with torch.no_grad(): m.i_weight.weight[2, 0] = NAN
    return m

def test_recommendations_are_never_nan_or_silently_empty():
    with pytest.raises(ValueError, match='NaN or infinite'): recommend(model(nan=True), CLASSES, 2, RATED, n=2, item_name='title')
    with pytest.raises(ValueError, match='NaN or infinite'): most_similar(model(nan=True), CLASSES, 'a', n=2, item_name='title')
    assert list(recommend(model(), CLASSES, 2, RATED, n=5, item_name='title').title) != []        # user 2 has two unseen titles
    assert recommend(model(), CLASSES, 1, RATED, n=5, item_name='title').empty                    # user 1 rated everything: documented empty
    with pytest.raises(KeyError, match='unknown user 9'): recommend(model(), CLASSES, 9, RATED, item_name='title')
    with pytest.raises(ValueError, match='n must be a whole number of at least 1'): recommend(model(), CLASSES, 2, RATED, n=0, item_name='title')
    with pytest.raises(KeyError, match="unknown title 'zz'"): most_similar(model(), CLASSES, 'zz', item_name='title')

"Tests of collab_tutorial.recommender (nbs/15a_recommender): every bad input gets one clear error, and a Recommender survives its file."
import subprocess, sys, warnings
import numpy as np, pandas as pd, pytest, torch
from collab_tutorial.recommender import Recommender, check_ids
from collab_tutorial.persist import ModelFileError, save_model

SMALL = dict(n_factors=4, epochs=2)   # quick settings for both trainers

@pytest.fixture(scope='module')
def shop() -> pd.DataFrame:
    "40 customers rating 12 products (string ids, one a zero-padded number), each customer 6 products, with titles."
    rng = np.random.default_rng(0)
    rows = [(f'c{c:02d}', f'sku-{k}', float(rng.integers(1, 6))) for c in range(40) for k in rng.choice(12, 6, replace=False)]
    df = pd.DataFrame(rows, columns=['customer', 'sku', 'stars'])
    df.loc[df.customer == 'c07', 'customer'] = '007'
    return df.assign(title=df.sku.str.upper())

@pytest.fixture(scope='module')
def rated(shop): return Recommender.fit(shop, 'customer', 'sku', 'stars', **SMALL)

@pytest.fixture(scope='module')
def ranked(shop): return Recommender.fit(shop[['customer', 'sku']], 'customer', 'sku', None, **SMALL)

def fit(df, **kw): return Recommender.fit(df, **(dict(user='customer', item='sku', rating='stars') | SMALL | kw))

def _capped(f):
    "Call `f` with MAX_CELLS set to 100."
    from unittest import mock
    with mock.patch('collab_tutorial.recommender.MAX_CELLS', 100): return f()

def test_lookup_finds_ids_and_titles(rated, ranked):
    assert (rated.lookup('SKU-3', 'item'), rated.lookup('sku-3', 'item'), ranked.lookup('007', 'user')) == ('sku-3', 'sku-3', '007')
    r = Recommender.fit(pd.DataFrame({'user': [1, 1, 2, 3], 'movie': [10, 20, 10, 30]}), rating=None, **SMALL)
    assert (r.lookup('2', 'user'), r.lookup('030', 'item'), type(r.lookup('2', 'user'))) == (2, 30, int)

def _seen_capped(f):
    "Call `f` with SEEN_CHARS set to 10, and check that it trained nothing."
    from unittest import mock
    with mock.patch('collab_tutorial.recommender.SEEN_CHARS', 10), mock.patch('collab_tutorial.recommender._fit_rating') as t:
        try: return f()
        finally: assert not t.called

# (case, call taking (shop, rated, ranked, tmp_path), exception, message fragment)
BAD = [
    # fit
    ('df not a DataFrame', lambda s, r, k, p: fit(s.values), TypeError, 'df must be a pandas DataFrame, got ndarray'),
    ('df empty', lambda s, r, k, p: fit(s.iloc[:0]), ValueError, 'df is empty'),
    ('no user column', lambda s, r, k, p: fit(s, user='client'), KeyError,
     "df has no column 'client' (the user= argument); its columns are ['customer', 'sku', 'stars', 'title']"),
    ('no item column (default name)', lambda s, r, k, p: Recommender.fit(s, user='customer'), KeyError,
     "df has no column 'movie' (the item= argument)"),
    ('no rating column (default name)', lambda s, r, k, p: Recommender.fit(s, user='customer', item='sku'), KeyError,
     "df has no column 'rating' (the rating= argument)"),
    ('user and item the same', lambda s, r, k, p: fit(s, item='customer'), ValueError, "name the same column 'customer'"),
    ('missing id', lambda s, r, k, p: fit(s.assign(sku=[None] + list(s.sku[1:]))), ValueError,
     "column 'sku' (item=) has 1 missing ids, first at row 0"),
    ('float ids', lambda s, r, k, p: fit(s.assign(customer=1.5)), TypeError, "column 'customer' (user=) must hold whole numbers or strings"),
    ('mixed float and text ids', lambda s, r, k, p: fit(s.assign(sku=[2.5] + list(s.sku[1:]))), TypeError, 'must hold whole numbers or strings'),
    ('text ratings', lambda s, r, k, p: fit(s.assign(stars='4')), TypeError, "rating column 'stars' must hold numbers"),
    ('NaN rating', lambda s, r, k, p: fit(s.assign(stars=[np.nan] + list(s.stars[1:]))), ValueError, '1 NaN or infinite values'),
    ('unknown objective', lambda s, r, k, p: fit(s, objective='ratings'), ValueError, "objective must be one of None, 'rating', 'rank'"),
    ('rating objective without ratings', lambda s, r, k, p: fit(s, rating=None, objective='rating'), ValueError,
     "objective='rating' needs a rating column"),
    ('valid_pct one', lambda s, r, k, p: fit(s, valid_pct=1.), ValueError, 'valid_pct must be a fraction'),
    ('valid_pct negative', lambda s, r, k, p: fit(s, valid_pct=-0.1), ValueError, 'valid_pct must be a fraction'),
    ('valid_pct True', lambda s, r, k, p: fit(s, valid_pct=True), ValueError, 'valid_pct must be a fraction'),
    ('valid_pct holds out nothing', lambda s, r, k, p: fit(s, valid_pct=1e-6), ValueError, 'holds out no rows of these 240'),
    ('seed text', lambda s, r, k, p: fit(s, seed='1'), TypeError, "seed must be a whole number, got '1'"),
    ('unknown setting', lambda s, r, k, p: fit(s, epoch=3), TypeError, "unknown setting(s) ['epoch'] for fit_mf"),
    ('unknown setting, rank', lambda s, r, k, p: fit(s, rating=None, y_range=(0, 5)), TypeError, "unknown setting(s) ['y_range'] for fit_rank"),
    ('trainer for the other objective', lambda s, r, k, p: fit(s, trainer='fit_rank'), ValueError,
     "trainer='fit_rank' does not train objective='rating'"),
    ('unknown trainer', lambda s, r, k, p: fit(s, trainer='adam'), ValueError, "trainer must be one of None, 'fit_mf', 'fit_sgd', 'fit_rank'"),
    ('ratings outside y_range', lambda s, r, k, p: fit(s, y_range=(0, 3)), ValueError, 'outside y_range=(0.0, 3.0)'),
    # predict
    ('predict unknown user', lambda s, r, k, p: r.predict(['c01', 'zed'], ['sku-1', 'sku-2']), KeyError,
     "unknown user 'zed' in users=: not among the 40 customer ids seen in training"),
    ('predict unknown item', lambda s, r, k, p: r.predict('c01', 'sku-99'), KeyError, "unknown item 'sku-99' in items="),
    ('predict number for text id', lambda s, r, k, p: r.predict(7, 'sku-1'), KeyError,
     "unknown user 7 in users=: not among the 40 customer ids seen in training; the ids here are of type str, 7 is of type int"),
    ('predict lengths differ', lambda s, r, k, p: r.predict(['c01', 'c02'], ['sku-1']), ValueError, 'must pair up one to one, got 2 users and 1 items'),
    # recommend
    ('recommend unknown user', lambda s, r, k, p: r.recommend('zed'), KeyError, "unknown user 'zed' in user="),
    ('recommend "007" as a number', lambda s, r, k, p: k.recommend(7), KeyError, "unknown user 7 in user="),
    ('recommend n zero', lambda s, r, k, p: r.recommend('c01', n=0), ValueError, 'n must be a whole number of at least 1, got 0'),
    ('recommend n fraction', lambda s, r, k, p: k.recommend('c01', n=2.5), ValueError, 'n must be a whole number of at least 1, got 2.5'),
    # similar
    ('similar unknown item', lambda s, r, k, p: k.similar('sku-99'), KeyError, "unknown item 'sku-99' in item="),
    ('similar #na#', lambda s, r, k, p: r.similar('#na#'), KeyError, "unknown item '#na#' in item="),
    ('similar n negative', lambda s, r, k, p: r.similar('sku-1', n=-1), ValueError, 'n must be a whole number'),
    # recommend_new
    ('new: a string', lambda s, r, k, p: r.recommend_new('sku-1'), TypeError, "rated must be a dict {item: rating} for this 'rating' model, got str"),
    ('new: a list for ratings', lambda s, r, k, p: r.recommend_new(['sku-1']), TypeError, "rated must be a dict {item: rating} for this 'rating' model, got list"),
    ('new: a dict for ranking', lambda s, r, k, p: k.recommend_new({'sku-1': 5}), TypeError, "rated must be a list of items for this 'rank' model, got dict"),
    ('new: a set', lambda s, r, k, p: k.recommend_new({'sku-1'}), TypeError, "rated must be a list of items for this 'rank' model, got set"),
    ('new: unknown item, dict', lambda s, r, k, p: r.recommend_new({'sku-1': 4, 'sku-99': 5}), KeyError, "unknown item 'sku-99' in rated="),
    ('new: unknown item, list', lambda s, r, k, p: k.recommend_new(['sku-99']), KeyError, "unknown item 'sku-99' in rated="),
    ('new: rating out of range', lambda s, r, k, p: r.recommend_new({'sku-1': 9}), ValueError, "the rating 9 for 'sku-1' is outside the model's range"),
    ('new: rating NaN', lambda s, r, k, p: r.recommend_new({'sku-1': float('nan')}), ValueError, "the rating for 'sku-1' must be a finite number"),
    ('new: n zero', lambda s, r, k, p: k.recommend_new(['sku-1'], n=0), ValueError, 'n must be a whole number of at least 1'),
    # lookup: ids as typed, or titles
    ('lookup unknown user', lambda s, r, k, p: r.lookup('zed', 'user'), KeyError, "no customer id 'zed' among the 40 seen in training"),
    ('lookup unknown item', lambda s, r, k, p: r.lookup('SKU-99', 'item'), KeyError, "no sku id or title 'SKU-99' among the 12 seen"),
    ('lookup no titles', lambda s, r, k, p: k.lookup('SKU-1', 'item'), KeyError, "no sku id 'SKU-1'"),
    ('lookup shared title', lambda s, r, k, p: fit(s.assign(title='SAME')).lookup('SAME', 'item'), KeyError,
     "the title 'SAME' belongs to 12 sku ids ("),
    # the ranking objective's size cap
    ('rank over MAX_CELLS', lambda s, r, k, p: _capped(lambda: fit(s, rating=None)), ValueError,
     "dense 41 x 13 matrices: 533 cells, about 0.0 GB of memory, more than the 100 cells allowed. Keep fewer users or items"),
    # sizes too large for memory, refused before anything is allocated
    ('n_factors too large, rating', lambda s, r, k, p: fit(s, n_factors=10**12), ValueError,
     'n_factors=1,000,000,000,000 makes factor tables of 41 + 13 rows that need about'),
    ('n_factors too large, fit_sgd', lambda s, r, k, p: fit(s, n_factors=10**12, trainer='fit_sgd'), ValueError, ': lower n_factors'),
    ('n_factors too large, rank', lambda s, r, k, p: fit(s, rating=None, n_factors=10**12), ValueError, ': lower n_factors'),
    ('seen pairs over SEEN_CHARS', lambda s, r, k, p: _seen_capped(lambda: fit(s)), ValueError,
     "(user, item) pairs seen would take 0 MB of the model file's header, more than the 0 MB it holds: train on fewer rows"),
    # save and load
    ('save to a folder', lambda s, r, k, p: r.save(p), ValueError, 'is a folder, not a file'),
    ('load a missing file', lambda s, r, k, p: Recommender.load(p/'none.safetensors'), FileNotFoundError, 'no model file at'),
    ('load a plain model file', lambda s, r, k, p: Recommender.load(save_model(r.model, r.classes, p/'plain.safetensors')),
     ModelFileError, 'holds a model but no Recommender (it was written by save_model, not Recommender.save)'),
    ('load a text file', lambda s, r, k, p: Recommender.load((p/'x.safetensors').write_text('user,item\n1,2\n') and p/'x.safetensors'),
     ModelFileError, 'not a model file written by save_model'),
]

@pytest.mark.parametrize('case,call,exc,msg', BAD, ids=[b[0] for b in BAD])
def test_bad_input(case, call, exc, msg, shop, rated, ranked, tmp_path):
    with pytest.raises(exc) as e: call(shop, rated, ranked, tmp_path)
    assert msg in str(e.value), str(e.value)

def test_fit_uses_all_rows_and_the_objective_from_the_data(shop, rated, ranked):
    assert rated.objective == 'rating' and ranked.objective == 'rank' and rated.valid == {} and rated.history is not None
    assert rated.meta['data']['train_rows'] == len(shop) == ranked.meta['data']['train_rows']
    assert rated.meta['trainer'] == 'fit_mf' and ranked.meta['trainer'] == 'fit_rank'
    assert rated.classes['customer'][:3] == ['#na#', 'c00', 'c01'] and '007' in rated.classes['customer']
    assert fit(shop.assign(stars=1.)).objective == 'rank'   # one value: nothing to regress
    assert fit(shop, trainer='fit_sgd').meta['trainer'] == 'fit_sgd'

def test_validation_figures(shop):
    r = fit(shop, valid_pct=0.2, seed=1)
    assert set(r.valid) == {'rmse', 'valid_rows', 'dropped_rows'} and 0 < r.valid['rmse'] < 3
    assert r.meta['data']['train_rows'] + r.valid['valid_rows'] + r.valid['dropped_rows'] == len(shop)
    k = fit(shop, rating=None, valid_pct=0.25)
    assert {'map', 'ndcg@10', 'precision@10', 'recall@10', 'hit_rate@10', 'coverage'} <= set(k.valid)
    few = shop[shop.sku.isin([f'sku-{i}' for i in range(6)])]   # a catalogue of 6: lists of all 6, said so in the names
    assert {'ndcg@6', 'precision@6'} <= set(fit(few, rating=None, valid_pct=0.25).valid)

def test_same_figures_whatever_the_ids_look_like(shop):
    "The codes follow the order of the rows, so relabelled ids and renamed columns train to the same model."
    ints = shop.assign(customer=pd.factorize(shop.customer)[0] * 3 + 10, sku=pd.factorize(shop.sku)[0] + 500)
    ints = ints.rename(columns=dict(customer='user', sku='movie', stars='rating'))
    for kw in (dict(), dict(rating=None)):
        a = fit(shop, valid_pct=0.25, **kw)
        b = Recommender.fit(ints, **(dict(rating='rating') | kw | SMALL), valid_pct=0.25)
        assert a.valid == b.valid and torch.equal(a.model.item_factors.weight, b.model.item_factors.weight)

def test_recommend_leaves_out_seen_items(shop, rated, ranked):
    for rec in (rated, ranked):
        top = rec.recommend('007', n=12)
        assert set(top.sku).isdisjoint(shop.sku[shop.customer == '007']) and len(top) == 12 - 6
        assert top.score.is_monotonic_decreasing
    assert list(rated.recommend('c01').columns) == ['sku', 'title', 'score']
    assert (rated.recommend('c01').title == rated.recommend('c01').sku.str.upper()).all()
    assert list(ranked.recommend('c01').columns) == ['sku', 'score']       # no title column given
    new = ranked.recommend_new(('sku-1', 'sku-2'))
    assert not {'sku-1', 'sku-2'} & set(new.sku) and len(new) == 10
    with warnings.catch_warnings(): warnings.simplefilter('error'); rated.recommend_new({'sku-1': 5, 'sku-2': 1})

@pytest.mark.parametrize('which', ['rated', 'ranked'])
def test_save_load_round_trip(which, request, tmp_path):
    rec = request.getfixturevalue(which)
    back = Recommender.load(rec.save(tmp_path/'m.safetensors'))
    assert back.meta == rec.meta and back.classes == rec.classes and repr(back) == repr(rec)
    users, items = ['007', 'c01', 'c39'], ['sku-0', 'sku-5', 'sku-11']
    assert np.array_equal(back.predict(users, items), rec.predict(users, items))
    for f in (lambda r: r.recommend('007'), lambda r: r.similar('sku-3', n=4),
              lambda r: r.recommend_new({'sku-1': 5} if which == 'rated' else ['sku-1'])):
        pd.testing.assert_frame_equal(f(back), f(rec))
    assert sorted(tmp_path.iterdir()) == [tmp_path/'m.safetensors']     # no temporary file left behind

def test_int_ids_and_int_column_names_round_trip(tmp_path):
    df = pd.DataFrame({0: [1, 2, 3, 1, 2, 3], 1: [10, 10, 20, 30, 30, 20], 2: [1., 2., 3., 4., 5., 3.]})
    rec = Recommender.fit(df, user=0, item=1, rating=2, **SMALL)
    back = Recommender.load(rec.save(tmp_path/'m.safetensors'))
    assert back.classes == {0: ['#na#', 1, 2, 3], 1: ['#na#', 10, 20, 30]}
    pd.testing.assert_frame_equal(back.recommend(np.int64(1)), rec.recommend(1))

def test_check_ids_keeps_ids_as_written():
    assert check_ids(pd.Series(['007', '7']), 'user').tolist() == ['007', '7']

def test_top_level_import_is_lazy():
    code = ("import sys, collab_tutorial; assert 'torch' not in sys.modules and 'fastai' not in sys.modules\n"
            "from collab_tutorial import Recommender; assert 'fastai' not in sys.modules and 'numba' not in sys.modules\n"
            "assert Recommender.__module__ == 'collab_tutorial.recommender'\n"
            "assert collab_tutorial._LAZY['load_interactions'] == 'collab_tutorial.interactions'\n"
            "assert {'Recommender', 'load_interactions'} <= set(dir(collab_tutorial))\n"
            "from collab_tutorial import data\n"
            "try: collab_tutorial.nothing\n"
            "except AttributeError as e: assert \"no attribute 'nothing'\" in str(e)\n"
            "else: raise AssertionError('no AttributeError')")
    subprocess.run([sys.executable, '-c', code], check=True)

"Ranking metrics, split and top-k lists (nbs/11_topn.ipynb) and the ranking models (nbs/12_rank.ipynb): reference checks and bad input."
import math, re, warnings
import numpy as np, pandas as pd, pytest, torch
from collab_tutorial.topn import (stratified_split, watched_matrix, rank_data, top_k, hits_at_k, ranking_metrics, coverage,
                                  evaluate_scores, popularity_scores, dot_scores)
from collab_tutorial.rank import (ease, RankMF, fit_rank, train_rank, fold_in_watched, recommend_watched, valid_split,
                                  summarise_rankers, RANK_COLUMNS)

# --- references written the way recommenders writes them (pandas merges), to check the vectorised versions ---

def reference_split(df, ratio=0.75, seed=42, by='movie'):
    "recommenders' `_do_stratification` (random, two parts), transcribed: sort by group and a seeded random number."
    data = df.copy()
    np.random.seed(seed)
    data['random'] = np.random.rand(len(data))
    data = data.sort_values([by, 'random'])
    groups = data.groupby(by)
    data['count'] = groups[by].transform('count')
    data['rank'] = groups.cumcount() + 1
    train = data['rank'] <= round(ratio * data['count'])
    return np.sort(data.index[train].to_numpy()), np.sort(data.index[~train].to_numpy())

def reference_metrics(test: pd.DataFrame, pred: pd.DataFrame, k: int) -> dict:
    "recommenders' precision_at_k, recall_at_k, ndcg_at_k (binary, natural log) and map, transcribed with pandas."
    common = set(test.user) & set(pred.user)
    test, pred = test[test.user.isin(common)], pred[pred.user.isin(common)]
    top = pred.sort_values(['user', 'score'], ascending=[True, False]).groupby('user').head(k).copy()
    top['rank'] = top.groupby('user').cumcount() + 1
    hit = top.merge(test, on=['user', 'item'])[['user', 'item', 'rank']]
    count = hit.groupby('user').size().rename('hit').to_frame().join(test.groupby('user').size().rename('actual'), how='right').fillna(0)
    n = len(common)
    hit = hit.sort_values(['user', 'rank'])
    hit['rr'] = (hit.groupby('user').cumcount() + 1) / hit['rank']
    hit['dcg'] = 1 / np.log(1 + hit['rank'])
    idcg = count.actual.clip(upper=k).map(lambda m: sum(1 / math.log(1 + j) for j in range(1, int(m) + 1)))
    dcg = hit.groupby('user').dcg.sum().reindex(count.index, fill_value=0)
    rr = hit.groupby('user').rr.sum().reindex(count.index, fill_value=0)
    return {'map': (rr / count.actual).sum() / n, f'ndcg@{k}': (dcg / idcg).mean(),
            f'precision@{k}': (count.hit / k).sum() / n, f'recall@{k}': (count.hit / count.actual).sum() / n}

def random_case(seed, n_users=30, n_items=40, k=5):
    g = torch.Generator().manual_seed(seed)
    train = (torch.rand(n_users, n_items, generator=g) < 0.3).float()
    test = (torch.rand(n_users, n_items, generator=g) < 0.15).float() * (1 - train)
    scores = torch.randint(0, 6, (n_users, n_items), generator=g).float()   # many ties
    return train, test, scores, k

@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_metrics_match_recommenders_formulas(seed):
    train, test, scores, k = random_case(seed)
    train[0] = 1; test[0] = 0                       # a user who rated everything: empty list, no test items
    train[1, :-2] = 1; train[1, -2:] = 0; test[1, -1] = 1  # a user with 2 candidates (a short list) and 1 test item
    top = top_k(scores, train.bool(), k)
    mine = ranking_metrics(top, test)
    # the same lists, as the frame of top-k predictions recommenders scores (stable order = our tie rule)
    rows = [(u, int(i), float(k - j)) for u in range(len(top)) for j, i in enumerate(top[u]) if i >= 0]
    pred = pd.DataFrame(rows, columns=['user', 'item', 'score'])
    tu, ti = test.nonzero(as_tuple=True)
    ref = reference_metrics(pd.DataFrame({'user': tu.numpy(), 'item': ti.numpy()}), pred, k)
    for name, v in ref.items(): assert mine[name] == pytest.approx(v, abs=1e-6), name

@pytest.mark.parametrize('seed,by', [(42, 'movie'), (7, 'movie'), (42, 'user')])
def test_split_matches_recommenders(seed, by):
    g = np.random.default_rng(seed)
    df = pd.DataFrame(dict(user=g.integers(1, 60, 3_000), movie=g.integers(1, 200, 3_000)))
    for mine, ref in zip(stratified_split(df, seed=seed, by=by), reference_split(df, seed=seed, by=by)): np.testing.assert_array_equal(mine, ref)

HAND = [  # (list, test items, n_items, expected precision, recall, ndcg, average precision)
    ([1, 2, 3], [1, 3, 7, 9], 10, 2/3, 2/4, (1/math.log(2) + 1/math.log(4)) / sum(1/math.log(1 + j) for j in (1, 2, 3)), (1 + 2/3) / 4),
    ([4, 5, 6], [5], 10, 1/3, 1., math.log(2) / math.log(3), 1/2),
    ([0, 2, 4], [8, 9], 10, 0., 0., 0., 0.),
    ([7, -1, -1], [7, 8], 10, 1/3, 1/2, 1 / (1 + math.log(2) / math.log(3)), 1/2),   # a short list: its empty slots are misses
    ([3, 1, 2], [1, 2, 3], 4, 1., 1., 1., 1.)]

@pytest.mark.parametrize('lst,items,n,p,r,ndcg,ap', HAND)
def test_hand_worked(lst, items, n, p, r, ndcg, ap):
    test = torch.zeros(1, n); test[0, items] = 1
    m = ranking_metrics(torch.tensor([lst]), test)
    assert (m['precision@3'], m['recall@3'], m['ndcg@3'], m['map']) == pytest.approx((p, r, ndcg, ap))
    assert m['hit_rate@3'] == float(r > 0)

def test_ties_go_to_the_lower_index():
    assert top_k(torch.tensor([[1., 2., 2., 1.]]), torch.zeros(1, 4, dtype=torch.bool), 4).tolist() == [[1, 2, 0, 3]]

def test_user_who_rated_everything_gets_an_empty_list():
    scores, exclude = torch.rand(2, 5), torch.zeros(2, 5, dtype=torch.bool)
    exclude[1] = True
    top = top_k(scores, exclude, 3)
    assert top[1].tolist() == [-1, -1, -1] and (top[0] >= 0).all()
    assert coverage(top[1:], 5) == 0

# --- bad input: a clear error or a documented result ---

S, E = torch.rand(3, 6), torch.zeros(3, 6, dtype=torch.bool)
BAD_TOP_K = [
    (dict(scores=S, exclude=E, k=0), ValueError, 'k must be a whole number of at least 1'),
    (dict(scores=S, exclude=E, k=-2), ValueError, 'k must be a whole number'),
    (dict(scores=S, exclude=E, k=2.5), ValueError, 'k must be a whole number'),
    (dict(scores=S, exclude=E, k=7), ValueError, 'larger than the catalogue (6 items)'),
    (dict(scores=S, exclude=E[:2], k=3), ValueError, 'same shape'),
    (dict(scores=S[0], exclude=E[0], k=3), ValueError, 'same shape'),
    (dict(scores=torch.where(S > 0.5, float('nan'), S), exclude=E, k=3), ValueError, 'NaN or infinite'),
    (dict(scores=torch.where(S > 0.5, -float('inf'), S), exclude=E, k=3), ValueError, 'NaN or infinite')]

@pytest.mark.parametrize('kwargs,exc,msg', BAD_TOP_K)
def test_top_k_bad_input(kwargs, exc, msg):
    with pytest.raises(exc, match=msg.replace('(', r'\(').replace(')', r'\)')): top_k(**kwargs)

RATINGS = pd.DataFrame(dict(user=[1, 1, 2, 2, 3, 3, 3, 4], movie=[1, 2, 1, 3, 1, 2, 3, 2], rating=[5, 3, 4, 2, 1, 5, 4, 3]))
BAD_SPLIT = [
    (dict(ratings=RATINGS, ratio=0), ValueError, 'ratio must be a fraction'),
    (dict(ratings=RATINGS, ratio=1), ValueError, 'ratio must be a fraction'),
    (dict(ratings=RATINGS, ratio='0.75'), ValueError, 'ratio must be a fraction'),
    (dict(ratings=RATINGS, by='title'), KeyError, "no column 'title'"),
    (dict(ratings=RATINGS.iloc[:0]), ValueError, 'non-empty DataFrame'),
    (dict(ratings=RATINGS.to_numpy()), ValueError, 'non-empty DataFrame')]

@pytest.mark.parametrize('kwargs,exc,msg', BAD_SPLIT)
def test_split_bad_input(kwargs, exc, msg):
    with pytest.raises(exc, match=msg): stratified_split(**kwargs)

def test_rank_data_bad_input_and_unknown_rows():
    with pytest.raises(ValueError, match='test split is empty'): rank_data(RATINGS, (np.arange(8), []))
    with pytest.raises(ValueError, match='training split is empty'): rank_data(RATINGS, ([], np.arange(8)))
    with pytest.raises(KeyError, match="no column"): rank_data(RATINGS, (np.arange(6), [6, 7]), item_name='title')
    d = rank_data(RATINGS, (np.arange(6), [6, 7]))    # user 4 (row 7) is unknown to training: dropped and counted
    assert d['n_dropped'] == 1 and int(d['test'].sum()) == 1
    with pytest.raises(ValueError, match='no user has a test item'): ranking_metrics(torch.tensor([[1]]), torch.zeros(1, 4))

def test_evaluate_scores_never_recommends_na_or_training_items():
    d = rank_data(RATINGS, (np.arange(6), [6, 7]))
    top = top_k(popularity_scores(d['train']), d['train'].bool() | (torch.arange(d['train'].shape[1]) == 0), 2)
    assert not (top == 0).any() and not d['train'].bool().gather(1, top.clamp(min=0))[top >= 0].any()
    m = evaluate_scores(popularity_scores(d['train']), d, k=2)
    assert set(m) == {'map', 'ndcg@2', 'precision@2', 'recall@2', 'hit_rate@2', 'coverage'}

@pytest.mark.parametrize('lam', [0, -1., float('nan'), float('inf'), '400', True])
def test_ease_bad_lambda(lam):
    with pytest.raises(ValueError, match=f'lam must be a finite number > 0, got {lam!r}'): ease(torch.ones(3, 3), lam)

def test_ease_zero_diagonal_and_fold_in_is_a_row_times_b():
    X = (torch.rand(20, 8, generator=torch.Generator().manual_seed(0)) < 0.4).float()
    B = ease(X, 2.)
    assert B.diagonal().abs().max() == 0 and B.shape == (8, 8)

@pytest.mark.parametrize('X,msg', [(torch.zeros(3, 4), 'no watched items'), (torch.ones(4), 'must be a'),
                                    (torch.full((2, 2), float('nan')), 'without NaN'), (-torch.ones(2, 2), 'without NaN')])
def test_fit_rank_bad_input(X, msg):
    with pytest.raises(ValueError, match=msg): fit_rank(X)

# --- the ranking model for the command line ---

def tiny_ratings():
    g = np.random.default_rng(0)
    rows = [(u, f'movie {m:02d}', 4) for u in range(1, 31) for m in g.choice(range(10) if u <= 15 else range(10, 20), 5, replace=False)]
    return pd.DataFrame(rows, columns=['user', 'title', 'rating'])

@pytest.fixture(scope='module')
def trained():
    return train_rank(tiny_ratings(), n_factors=8, wd=0.1, bs=8, item_name='title')

def test_train_rank_returns_a_rebuildable_model(trained):
    model, classes = trained
    assert isinstance(model, RankMF) and classes['title'][0] == '#na#' and len(classes['title']) == 21
    for name in ('user_factors', 'item_factors', 'user_bias', 'item_bias'): assert isinstance(getattr(model, name), torch.nn.Embedding)
    rebuilt = RankMF(len(classes['user']), len(classes['title']), model.user_factors.weight.shape[1])  # constructor arguments only
    rebuilt.load_state_dict(model.state_dict())
    assert torch.equal(dot_scores(rebuilt), dot_scores(model))

def test_recommend_watched_stays_in_the_group(trained):
    model, classes = trained
    watched = ['movie 00', 'movie 01', 'movie 02']
    recs = recommend_watched(model, classes, watched, n=3, item_name='title')
    assert list(recs.columns) == ['title', 'score'] and len(recs) == 3 and not set(recs.title) & set(watched)
    assert all(int(t.split()[1]) < 10 for t in recs.title)
    assert recs.score.is_monotonic_decreasing

def test_recommend_watched_with_an_ease_matrix(trained):
    _, classes = trained
    from collab_tutorial.dataloaders import collab_codes
    r = tiny_ratings()
    codes, cl = collab_codes(r, np.arange(len(r)), 'user', 'title')
    B = ease(watched_matrix(codes, len(cl['user']), len(cl['title'])), 1.)
    recs = recommend_watched(B, cl, ['movie 15', 'movie 16'], n=4, item_name='title')
    assert len(recs) == 4 and all(int(t.split()[1]) >= 10 for t in recs.title)

BAD_RECOMMEND = [
    (dict(watched=['movie 99']), KeyError, 'unknown title'),
    (dict(watched='movie 01'), TypeError, 'list of titles'),
    (dict(watched=['movie 01'], n=0), ValueError, 'n must be a whole number'),
    (dict(watched=['movie 01'], l2=0.), ValueError, 'l2 must be a finite number > 0, got 0.0')]

@pytest.mark.parametrize('kwargs,exc,msg', BAD_RECOMMEND)
def test_recommend_watched_bad_input(trained, kwargs, exc, msg):
    model, classes = trained
    with pytest.raises(exc, match=msg): recommend_watched(model, classes, item_name='title', **kwargs)

def test_recommend_watched_documented_edges(trained):
    model, classes = trained
    with pytest.warns(UserWarning, match='no watched titles'): anyone = recommend_watched(model, classes, [], n=4, item_name='title')
    assert len(anyone) == 4
    all_but_two = classes['title'][1:-2]
    assert list(recommend_watched(model, classes, all_but_two, n=10, item_name='title').title) in (classes['title'][-2:], classes['title'][-2:][::-1])
    with pytest.raises(ValueError, match='must be 21 x 21'): recommend_watched(torch.eye(3), classes, ['movie 01'], item_name='title')

def test_fold_in_of_nothing_is_the_zero_vector(trained):
    model, _ = trained
    assert fold_in_watched(model, torch.zeros(2, 21)).abs().max() == 0

@pytest.mark.parametrize('kwargs,exc,msg', [(dict(ratings=RATINGS.iloc[:0]), ValueError, 'ratings is empty'),
                                            (dict(ratings=RATINGS, item_name='title'), KeyError, r"no column 'title' \(the item_name argument\)")])
def test_train_rank_bad_input(kwargs, exc, msg):
    with pytest.raises(exc, match=msg): train_rank(**kwargs)

def test_valid_split_partitions_the_training_matrix():
    X = (torch.rand(50, 30, generator=torch.Generator().manual_seed(1)) < 0.3).float()
    inner, valid = valid_split(X, seed=3)
    assert torch.equal(inner + valid, X) and (inner * valid).sum() == 0 and valid.sum() > 0

def test_summarise_rankers_columns_and_quoted_rows():
    res = pd.DataFrame([dict(method=m, seed=s, **{c: 0.1 * s for c in RANK_COLUMNS}) for m in ('a', 'b') for s in (1, 2, 3)])
    t = summarise_rankers(res)
    assert list(t.columns) == RANK_COLUMNS and t.loc['a', 'map'] == '0.2000 ± 0.1000'
    assert t.index.str.endswith('(recommenders, quoted)').sum() == 8


# ---- Issue 21, round two: fit_rank, ease and the fold-in share the trainers' settings check; no NaN model is returned ----

NAN, INF = float('nan'), float('inf')
X6 = (torch.rand(12, 9, generator=torch.Generator().manual_seed(1)) < 0.4).float()
BAD_RANK_SETTINGS = [('lr', NAN, 'lr must be a finite number > 0, got nan'), ('lr', -0.01, 'lr must be a finite number > 0, got -0.01'),
                     ('lr', 0, 'got 0'), ('lr', INF, 'got inf'), ('lr', '1e-2', "got '1e-2'"), ('wd', NAN, 'wd must be a finite number >= 0, got nan'),
                     ('wd', -4, 'wd must be a finite number >= 0, got -4'), ('wd', INF, 'got inf'), ('n_factors', 0, 'n_factors must be a whole number'),
                     ('n_factors', 8.0, 'n_factors must be a whole number of at least 1, got 8.0'), ('bs', 0, 'bs must be a whole number'),
                     ('epochs', 0, 'epochs must be a whole number'), ('epochs', False, 'got False')]

@pytest.mark.parametrize('name,value,msg', BAD_RANK_SETTINGS, ids=[f'{n}={v!r}' for n, v, _ in BAD_RANK_SETTINGS])
def test_fit_rank_bad_settings(name, value, msg):
    with pytest.raises(ValueError, match=re.escape(msg)): fit_rank(X6, **{'n_factors': 4, 'epochs': 1, name: value})

@pytest.mark.parametrize('kw,msg', [(dict(lr=1e30), 'lower lr (now 1e+30), e.g. to 1e+29'),
                                    (dict(wd=1e6), 'lower wd (now 1e+06), e.g. to 50: with lr 0.01, lr × wd must stay below 1')])
def test_fit_rank_diverging_is_an_error(kw, msg):
    with pytest.raises(FloatingPointError, match='training diverged at epoch') as e: fit_rank(X6, n_factors=4, epochs=3, bs=2, **kw)
    assert msg in str(e.value), str(e.value)

@pytest.mark.parametrize('kw,msg', [(dict(l2=NAN), 'l2 must be a finite number > 0, got nan'), (dict(l2=INF), 'got inf'),
                                    (dict(l2=-1), 'got -1'), (dict(steps=0), 'steps must be a whole number of at least 1'),
                                    (dict(steps=2.5), 'steps must be a whole number of at least 1, got 2.5')])
def test_fold_in_bad_settings(trained, kw, msg):
    with pytest.raises(ValueError, match=re.escape(msg)): fold_in_watched(trained[0], torch.zeros(1, 21), **kw)

def test_recommend_watched_without_na_keeps_the_first_item():
    "Classes without '#na#' (planted data): row 0 is a real item and can be recommended."
    B = torch.zeros(3, 3); B[1, 0] = 1.   # who watched item 1 is pointed to item 0
    recs = recommend_watched(B, {'user': [0], 'item': ['a', 'b', 'c']}, ['b'], n=2, item_name='item')
    assert recs.item.tolist()[0] == 'a'
    _, classes = trained_classes = train_rank(tiny_ratings(), item_name='title', n_factors=4, epochs=1, bs=8)
    assert '#na#' not in recommend_watched(*trained_classes, classes['title'][1:3], n=30, item_name='title').title.tolist()

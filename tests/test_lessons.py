"""Edge cases of the teaching notebooks' exports (01 to 07), kept out of the learner's way.

The notebooks show each export working on the real data, with one check after it; the cases a reader does not
need (empty inputs, wrong shapes, saturated outputs, names the model never saw) are checked here, on small
hand-made inputs, so they run in a second.
"""
import subprocess, sys, warnings
from types import SimpleNamespace

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np, pandas as pd, pytest, torch
from torch import nn
from fastai.collab import CollabDataLoaders, EmbeddingDotBias, EmbeddingNN, collab_learner
from fastai.layers import Embedding, sigmoid_range
from fastai.tabular.core import TabDataLoader
from fastai.torch_core import one_hot as fastai_one_hot

from collab_tutorial.factors import dot, one_hot
from collab_tutorial.dataloaders import collab_dls, unseen_keep, valid_mse, ReadCollabBatch
from collab_tutorial.dotproduct import DotProduct
from collab_tutorial.bias import DotProductBias
from collab_tutorial.embedding import create_params, DotProductBiasParams
from collab_tutorial.interpret import NA, item_index, user_index, model_weights, item_biases, pca_map, most_similar
from collab_tutorial.neural import CollabNN

# 01_factors
def test_dot_and_one_hot_edges():
    assert dot([], []) == 0.0
    with pytest.raises(ValueError, match='shorter'): dot([1, 2, 3], [1, 2])
    assert torch.equal(one_hot(np.int64(0), 1), torch.tensor([1.]))
    assert torch.equal(one_hot(3, 7), nn.functional.one_hot(torch.tensor(3), 7).float())
    assert torch.equal(one_hot(3, 7), fastai_one_hot(3, 7).float())
    with pytest.raises(IndexError, match='out of bounds'): one_hot(5, 5)

def test_one_hot_gradient_is_the_indexing_gradient():
    W = torch.randn(5, 3, requires_grad=True)
    (one_hot(2, 5) @ W).sum().backward()
    g, W.grad = W.grad.clone(), None
    W[2].sum().backward()
    assert torch.equal(g, W.grad) and g.abs().sum(1).nonzero().flatten().tolist() == [2]

# 02_dataloaders
def test_collab_dls_shuffle_is_seeded(toy):
    idxs = collab_dls(toy, seed=0, bs=8).train.get_idxs()
    assert sorted(idxs) == list(range(len(idxs)))
    assert collab_dls(toy, seed=0, bs=8).train.get_idxs() == idxs
    assert collab_dls(toy, seed=1, bs=8).train.get_idxs() != idxs

def test_unseen_keep_keeps_every_row_silently(toy):
    codes = np.array([[1, 2], [0, 3], [4, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter('error', UserWarning)
        assert list(unseen_keep(codes, 'keep')) == [0, 1, 2]
        collab_dls(toy, seed=0, bs=8, unseen='keep')
    with pytest.warns(UserWarning, match="unseen='keep' to keep them without this warning"): unseen_keep(codes, 'warn')
    with pytest.raises(ValueError, match="unseen must be one of 'warn', 'drop', 'error', 'keep'"): unseen_keep(codes, 'ignore')

def test_collab_dls_batches_are_fastais(toy):
    "The copying reader gives exactly the tensors of fastai's own `TabDataLoader`, batch for batch."
    ours = collab_dls(toy, seed=0, bs=8)
    stock = CollabDataLoaders.from_df(toy, seed=0, bs=8, dl_type=TabDataLoader)
    for dl in stock.loaders: dl.rng = ours.loaders[0].rng.__class__(0)
    for a, b in zip([*ours.train, *ours.valid], [*stock.train, *stock.valid]):
        for x, y in zip(a, b): assert x.dtype == y.dtype and torch.equal(x, y)
    assert type(ours.train.after_batch.fs[0]) is ReadCollabBatch and type(ours.train) is TabDataLoader
    assert len(ours.test_dl(toy[['user', 'movie']]).one_batch()) == 1   # no ratings: inputs only

def test_collab_dls_raises_no_read_only_warning():
    "In a fresh process (PyTorch warns once per process), building and iterating the loaders warns about nothing."
    code = ("import warnings; warnings.simplefilter('error', UserWarning)\n"
            "import numpy as np, pandas as pd\n"
            "from collab_tutorial.dataloaders import collab_dls\n"
            "df = pd.DataFrame({'user': np.repeat(np.arange(20), 5), 'movie': np.tile(np.arange(5), 20), 'rating': 3.})\n"
            "dls = collab_dls(df, seed=0, bs=8, unseen='keep'); dls.one_batch(); list(dls.valid)\n")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]

def test_valid_mse():
    with pytest.raises(ValueError, match='not been trained'): valid_mse(SimpleNamespace(recorder=SimpleNamespace(values=[])))
    assert valid_mse(SimpleNamespace(recorder=SimpleNamespace(values=[[0.9, 0.8], [0.5, 0.7]]))) == 0.7
    with pytest.raises(ValueError, match='right after the fit'):   # after get_preds, the recorder holds [valid loss] only
        valid_mse(SimpleNamespace(recorder=SimpleNamespace(values=[[0.7]])))

# 03_dotproduct, 04_bias, 05_embedding
def test_dotproduct_edges():
    m = DotProduct(3, 4, 2)
    with pytest.raises(IndexError, match='index out of range'): m(torch.tensor([[3, 1]]))
    with pytest.raises(Exception): m(torch.tensor([1, 2]))           # not a (batch, 2) tensor
    with pytest.raises(Exception): m(torch.zeros(2, 2))              # positions must be integers
    assert m(torch.zeros(0, 2, dtype=torch.long)).shape == (0,)      # an empty batch passes
    torch.manual_seed(0)
    assert DotProduct(3, 4, 50)(torch.tensor([[0, 1], [2, 3]])).abs().max() < 0.01  # tiny start: predictions near 0

@pytest.mark.parametrize('make', [lambda: DotProduct(5, 7, 3, y_range=(0, 5.5)), lambda: DotProductBias(5, 7, 3),
                                  lambda: DotProductBiasParams(5, 7, 3)], ids=['DotProduct', 'DotProductBias', 'Params'])
def test_outputs_stay_in_y_range_even_with_huge_weights(make):
    m = make()
    with torch.no_grad():
        for p in m.parameters(): p.normal_(0, 10)
    out = m(torch.cartesian_prod(torch.arange(5), torch.arange(7)))
    assert out.min() >= 0 and out.max() <= 5.5 and out.min() < 0.5 and out.max() > 5

@pytest.mark.parametrize('cls', [DotProductBias, DotProductBiasParams])
def test_biases_move_only_their_own_predictions(cls):
    m, x = cls(5, 7, n_factors=3), torch.tensor([[0, 0], [1, 3], [4, 6], [2, 3]])
    before = m(x)
    with torch.no_grad(): (m.item_bias.weight if cls is DotProductBias else m.item_bias)[3] += 2.
    after, moved = m(x), x[:, 1] == 3
    assert (after[moved] > before[moved] + 1).all() and torch.allclose(after[~moved], before[~moved])
    with torch.no_grad(): (m.user_bias.weight if cls is DotProductBias else m.user_bias)[4] -= 2.
    assert m(x)[2] < after[2] - 1 and torch.allclose(m(x)[:2], after[:2])

def test_model_tables():
    m = DotProductBias(5, 7, n_factors=3, y_range=(1, 5))
    assert all(type(getattr(m, n)) is Embedding for n in ('user_factors', 'item_factors', 'user_bias', 'item_bias'))
    assert torch.allclose(m(torch.tensor([[0, 0], [4, 6]])), torch.full((2,), 3.), atol=0.05)
    p = DotProductBiasParams(5, 7, n_factors=3)
    assert {n: tuple(t.shape) for n, t in p.named_parameters()} == \
        {'user_factors': (5, 3), 'user_bias': (5,), 'item_factors': (7, 3), 'item_bias': (7,)}
    with pytest.raises(IndexError, match='out of bounds'): p(torch.tensor([[0, 7]]))

def test_create_params():
    p = create_params((3, 4))
    assert type(p) is nn.Parameter and p.shape == (3, 4) and p.requires_grad
    assert create_params(5).shape == (5,) and create_params([2, 3, 4]).shape == (2, 3, 4)
    assert create_params((np.int64(4), 2)).shape == (4, 2)
    assert not torch.equal(create_params((3, 4)), create_params((3, 4)))
    with pytest.raises(TypeError): create_params((10, 2.5))

# 06_interpret
CLASSES = {'user': [NA, 196, 22, 7], 'title': [NA, 'Fargo (1996)', 'Star Wars (1977)', 'Titanic (1997)', 'Toy Story (1995)']}

def trained_like():
    torch.manual_seed(0)
    return EmbeddingDotBias(4, 4, 5, y_range=(0, 5.5))   # 4 factors, 4 user and 5 title classes

def test_embedding_dot_bias_is_the_course_model():
    m, x = trained_like(), torch.tensor([[1, 2], [3, 4], [0, 1]])
    u, i = x[:, 0], x[:, 1]
    by_hand = (m.u_weight(u) * m.i_weight(i)).sum(1) + m.u_bias(u)[:, 0] + m.i_bias(i)[:, 0]
    assert torch.allclose(m(x), sigmoid_range(by_hand, 0, 5.5), atol=1e-6)

def test_index_lookups():
    assert item_index(CLASSES, 'Star Wars (1977)', item_name='title') == 2 and user_index(CLASSES, 22) == 2
    with pytest.raises(KeyError, match="Did you mean one of \\['Star Wars \\(1977\\)'"): item_index(CLASSES, 'Star Wars (1978)', item_name='title')
    with pytest.raises(KeyError, match='Check the spelling'): item_index(CLASSES, 'zzzz', item_name='title')
    with pytest.raises(KeyError, match='unknown title'): item_index(CLASSES, NA, item_name='title')
    with pytest.raises(KeyError, match='unknown user 10000'): user_index(CLASSES, 10_000)
    with pytest.raises(KeyError, match='unknown user'): user_index(CLASSES, NA)
    with pytest.raises(KeyError, match='movie'): item_index({'movie': CLASSES['title']}, 'Fargo', item_name='movie')

class EmbModel(nn.Module):    # notebook 04's attribute names
    def __init__(self, nu, ni, k):
        super().__init__()
        self.user_factors, self.item_factors = Embedding(nu, k), Embedding(ni, k)
        self.user_bias, self.item_bias = Embedding(nu, 1), Embedding(ni, 1)

class ParamModel(nn.Module):  # notebook 05's plain parameters, here in half precision
    def __init__(self, nu, ni, k):
        super().__init__()
        p = lambda *sz: nn.Parameter(torch.randn(*sz).half())
        self.user_factors, self.item_factors, self.user_bias, self.item_bias = p(nu, k), p(ni, k), p(nu), p(ni)

def test_model_weights_reads_every_dot_product_model():
    m = trained_like()
    w = model_weights(m)
    assert [tuple(v.shape) for v in w.values()] == [(4, 4), (5, 4), (4,), (5,)]   # 4 factors, 4 users, 5 titles
    assert torch.equal(w['item_bias'], m.i_bias.weight.detach()[:, 0])
    learner = SimpleNamespace(model=nn.DataParallel(m), dls=None)     # a Learner holding a wrapped model
    assert torch.equal(model_weights(learner)['user_factors'], w['user_factors'])
    for mdl in (EmbModel(5, 7, 3), ParamModel(5, 7, 3)):
        ws = model_weights(mdl)
        assert [tuple(v.shape) for v in ws.values()] == [(5, 3), (7, 3), (5,), (7,)]
        assert all(v.dtype == torch.float32 and not v.requires_grad for v in ws.values())
    with pytest.raises(TypeError, match='EmbeddingNN has no user_factors'): model_weights(EmbeddingNN(emb_szs=[(5, 3), (7, 3)], layers=[10]))
    with pytest.raises(TypeError, match='CollabNN has no user_bias'): model_weights(CollabNN((5, 3), (7, 3)))

def test_item_biases():
    b = item_biases(trained_like(), CLASSES, item_name='title')
    assert len(b) == 4 and b.bias.is_monotonic_increasing and NA not in set(b.title)

def test_pca_map():
    titles = CLASSES['title'][1:]
    ax, coords = pca_map(trained_like(), CLASSES, titles, label=titles[:2], item_name='title')
    assert coords.shape == (4, 2) and len(ax.texts) == 2 and list(coords.index) == titles
    assert (coords.iloc[0] > 0).all() and np.allclose(coords.values.mean(0), 0, atol=1e-5)
    plt.close(ax.figure)
    with pytest.raises(KeyError, match="unknown title 'Star Warz'"): pca_map(trained_like(), CLASSES, ['Fargo (1996)', 'Star Warz'], item_name='title')
    with pytest.raises(KeyError, match='Star Wars'): pca_map(trained_like(), CLASSES, titles, label=['Star Wars'], item_name='title')
    plt.close('all')

def test_most_similar():
    m = trained_like()
    sims = most_similar(m, CLASSES, 'Fargo (1996)', n=2, item_name='title')
    assert len(sims) == 2 and sims.similarity.is_monotonic_decreasing and 'Fargo (1996)' not in set(sims.title)
    f = model_weights(m)['item_factors']
    want = float(nn.functional.cosine_similarity(f[item_index(CLASSES, sims.title[0], item_name='title')], f[1], dim=0))
    assert abs(sims.similarity[0] - want) < 1e-6 and (sims.similarity <= 1 + 1e-6).all()
    assert len(most_similar(m, CLASSES, 'Fargo (1996)', n=5000, item_name='title')) == 3                    # every other title, never #na#
    assert len(most_similar(m, CLASSES, 'Fargo (1996)', n=10, among=['Fargo (1996)', 'Titanic (1997)'], item_name='title')) == 1
    with pytest.raises(KeyError, match='Did you mean'): most_similar(m, CLASSES, 'Fargo (1997)', item_name='title')
    with pytest.raises(KeyError, match="unknown title 'Fargo'"): most_similar(m, CLASSES, 'Titanic (1997)', among=['Fargo'], item_name='title')
    with pytest.raises(ValueError, match='n must be a whole number of at least 1'): most_similar(m, CLASSES, 'Fargo (1996)', n=0, item_name='title')

# 07_neural
def test_collab_nn():
    m = CollabNN((3, 2), (4, 2), n_act=5, y_range=(1, 5))
    with torch.no_grad(): m.layers[-1].bias.fill_(1e4)        # sigmoid_range keeps even huge outputs inside y_range
    assert torch.equal(m(torch.tensor([[0, 0], [2, 3]])), torch.tensor([5., 5.]))
    assert sum(p.numel() for p in CollabNN((10, 4), (20, 6), n_act=8).parameters()) == 10*4 + 20*6 + 10*8 + 8 + 8 + 1

def test_use_nn_builds_a_tabular_model(toy):
    from fastai.tabular.model import TabularModel, emb_sz_rule, get_emb_sz
    assert emb_sz_rule(10**6) == 600 and emb_sz_rule(944) == 74
    dls = collab_dls(toy, seed=0, bs=8, unseen='keep')
    learn = collab_learner(dls, use_nn=True, y_range=(0, 5.5), layers=[10, 5])
    assert isinstance(learn.model, TabularModel) and learn.model.n_cont == 0
    assert [tuple(e.weight.shape) for e in learn.model.embeds] == get_emb_sz(dls)

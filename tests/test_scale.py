"Tests of collab_tutorial.scale (nbs/15_scale) on the planted ratings of collab_tutorial.synthetic (nbs/14a_synthetic): the planted noise floor is reached, both engines agree, bad inputs fail clearly, seeded runs repeat."
import re, warnings
import numpy as np, pytest, torch
from collab_tutorial.scale import sgd_lr, fit_sgd
from collab_tutorial.synthetic import synthetic_ratings, planted_predict
from collab_tutorial.fast import MFModel, mf_mse

NU, NI = 300, 200

@pytest.fixture(scope='module')
def data():
    "60,000 planted ratings on 300 x 200 tables (200 ratings per user), split 90/10, and the noise floor."
    u, i, r, planted = synthetic_ratings(60_000, NU, NI, n_factors=5, noise=0.3, seed=1)
    cut = 54_000
    floor = float(np.sqrt(np.mean((planted_predict(planted, u[cut:], i[cut:]) - r[cut:]) ** 2)))
    return (u[:cut], i[:cut], r[:cut]), (u[cut:], i[cut:], r[cut:]), floor

SMALL = dict(n_factors=5, epochs=15, lr=0.05, reg=0.02)

def test_generator_shapes_types():
    u, i, r, planted = synthetic_ratings(10_000, 50, 40, n_factors=4, noise=0.5, seed=3)
    assert (u.dtype, i.dtype, r.dtype) == (np.int32, np.int32, np.float32)
    assert len(u) == len(i) == len(r) == 10_000
    assert u.min() >= 0 and u.max() < 50 and i.min() >= 0 and i.max() < 40
    assert r.min() >= 0.5 and r.max() <= 5.0
    assert planted['user_factors'].shape == (50, 4) and planted['item_factors'].shape == (40, 4)
    counts = np.sort(np.bincount(i, minlength=40))[::-1]
    assert counts[0] > 3 * counts[-1], "items should be drawn with a popularity skew"
    u2, i2, r2, _ = synthetic_ratings(10_000, 50, 40, n_factors=4, noise=0.5, seed=3)
    assert (u == u2).all() and (i == i2).all() and (r == r2).all()

def test_generator_bad_inputs():
    with pytest.raises(ValueError, match='n_ratings must be a whole number'): synthetic_ratings(0, 5, 5)
    with pytest.raises(ValueError, match='n_factors must be a whole number'): synthetic_ratings(10, 5, 5, n_factors=0)
    with pytest.raises(ValueError, match='noise must be a finite number >= 0'): synthetic_ratings(10, 5, 5, noise=float('nan'))

def test_lr_schedule():
    assert sgd_lr(0, 0.1) == pytest.approx(0.1)
    assert sgd_lr(1, 0.1, 0.02) == pytest.approx(0.002)
    assert (np.diff(sgd_lr(np.linspace(0, 1, 50), 0.1)) <= 0).all()

@pytest.mark.parametrize('engine', ['numba', 'torch'])
def test_reaches_noise_floor(data, engine):
    trn, val, floor = data
    m, h = fit_sgd(*trn, NU, NI, engine=engine, valid=val, **SMALL)
    rmse = float(np.sqrt(h.valid_mse.iloc[-1]))
    assert rmse < floor * 1.08, (rmse, floor)        # within 8% of the best possible
    assert isinstance(m, MFModel)
    assert mf_mse(m, *(torch.from_numpy(a) for a in val)) == pytest.approx(h.valid_mse.iloc[-1], rel=1e-4)

def test_engines_agree(data):
    trn, val, _ = data
    a = fit_sgd(*trn, NU, NI, engine='numba', valid=val, **SMALL)[1].valid_mse.iloc[-1]
    b = fit_sgd(*trn, NU, NI, engine='torch', valid=val, **SMALL)[1].valid_mse.iloc[-1]
    assert abs(a ** 0.5 - b ** 0.5) < 0.01, (a, b)

def test_two_threads_same_quality(data):
    trn, val, _ = data
    a = fit_sgd(*trn, NU, NI, n_threads=1, valid=val, **SMALL)[1].valid_mse.iloc[-1]
    b = fit_sgd(*trn, NU, NI, n_threads=2, valid=val, **SMALL)[1].valid_mse.iloc[-1]
    assert abs(a ** 0.5 - b ** 0.5) < 0.01, (a, b)

@pytest.mark.parametrize('engine', ['numba', 'torch'])
def test_reproducible(data, engine):
    trn, val, _ = data
    m1, h1 = fit_sgd(*trn, NU, NI, engine=engine, valid=val, seed=7, **{**SMALL, 'epochs': 2})
    m2, h2 = fit_sgd(*trn, NU, NI, engine=engine, valid=val, seed=7, **{**SMALL, 'epochs': 2})
    for p, q in zip(m1.parameters(), m2.parameters()): assert torch.equal(p, q)
    assert (h1.valid_mse.values == h2.valid_mse.values).all()
    m3, _ = fit_sgd(*trn, NU, NI, engine=engine, seed=8, **{**SMALL, 'epochs': 2})
    assert not torch.equal(m1.user_factors.weight, m3.user_factors.weight)

def test_grid_blocks_same_quality(data):
    "Cutting small tables into many grid blocks (grid_mb tiny) changes the visiting order, not the quality."
    trn, val, _ = data
    a = fit_sgd(*trn, NU, NI, valid=val, **SMALL)[1].valid_mse.iloc[-1]
    b = fit_sgd(*trn, NU, NI, valid=val, grid_mb=0.001, **SMALL)[1].valid_mse.iloc[-1]
    assert abs(a ** 0.5 - b ** 0.5) < 0.01, (a, b)

def test_model_works_with_course_code(data, tmp_path):
    "The result is an MFModel: it predicts, and persist.save_model / load_model round-trip it."
    from collab_tutorial.persist import save_model, load_model
    trn, val, _ = data
    m, _ = fit_sgd(*trn, NU, NI, epochs=1, n_factors=5)
    classes = {'user': list(range(NU)), 'item': list(range(NI))}
    path = save_model(m, classes, tmp_path / 'm.safetensors')
    m2, c2, _ = load_model(path)
    x = torch.from_numpy(np.stack(val[:2], 1).astype(np.int64))
    with torch.no_grad(): assert torch.equal(m(x), m2(x))
    assert type(m2) is MFModel and c2 == classes

def test_accepts_tensors(data):
    trn, val, _ = data
    tt = [torch.from_numpy(a) for a in trn]
    m, h = fit_sgd(tt[0].long(), tt[1].long(), tt[2], NU, NI, epochs=1, n_factors=5)
    assert len(h) == 1

@pytest.mark.parametrize('engine', ['numba', 'torch'])
def test_bad_inputs(data, engine):
    (u, i, r), val, _ = data
    f = lambda *a, **k: fit_sgd(*a, engine=engine, epochs=1, n_factors=5, **k)
    with pytest.raises(IndexError, match=r'users must be codes in \[0, 299\)'): f(u, i, r, NU - 1, NI)
    with pytest.raises(IndexError, match=r'items must be codes in \[0, 200\), found -1'): f(u, np.where(i == 0, -1, i), r, NU, NI)
    with pytest.raises(ValueError, match='NaN or infinite'): f(u, i, np.where(r > 4, np.nan, r), NU, NI)
    with pytest.raises(ValueError, match='NaN or infinite'): f(u, i, np.where(r > 4, np.inf, r), NU, NI)
    with pytest.raises(ValueError, match='ratings are empty'): f(u[:0], i[:0], r[:0], NU, NI)
    with pytest.raises(ValueError, match='same length'): f(u, i[:-1], r, NU, NI)
    with pytest.raises(TypeError, match='must be integer codes'): f(u.astype(float), i, r, NU, NI)
    with pytest.raises(ValueError, match='outside y_range'): f(u, i, r * 2, NU, NI)
    with pytest.raises(IndexError, match='validation items'): f(u, i, r, NU, NI, valid=(val[0], val[1] + NI, val[2]))
    with pytest.raises(ValueError, match='n_factors must be a whole number of at least 1'): fit_sgd(u, i, r, NU, NI, n_factors=0, engine=engine)
    with pytest.raises(ValueError, match='epochs must be a whole number of at least 1'): fit_sgd(u, i, r, NU, NI, epochs=-1, engine=engine)
    with pytest.raises(ValueError, match='epochs must be a whole number'): fit_sgd(u, i, r, NU, NI, epochs=2.5, engine=engine)
    with pytest.raises(ValueError, match='lr must be a finite number > 0'): f(u, i, r, NU, NI, lr=0)
    with pytest.raises(ValueError, match='reg must be a finite number >= 0'): f(u, i, r, NU, NI, reg=-1)
    with pytest.raises(ValueError, match='engine must be one of'): fit_sgd(u, i, r, NU, NI, engine='cuda')

def test_diverged_says_so(data):
    (u, i, r), _, _ = data
    with pytest.raises(FloatingPointError, match='lower lr'): fit_sgd(u, i, r, NU, NI, epochs=1, lr=1e6, init_std=10.)

# ---- Issue 21, round two: every trainer refuses the same settings with the same words, and never returns NaN weights ----

from collab_tutorial.fast import fit_mf
from collab_tutorial.evaluate import fit_biases
NAN, INF = float('nan'), float('inf')
# (setting, bad value, message): the same table for every trainer; `wd` stands for each trainer's penalty
BAD_SETTINGS = [('lr', NAN, 'lr must be a finite number > 0, got nan'), ('lr', -0.1, 'lr must be a finite number > 0, got -0.1'),
                ('lr', 0, 'lr must be a finite number > 0, got 0'), ('lr', INF, 'got inf'), ('lr', '0.1', "got '0.1'"), ('lr', True, 'got True'),
                ('wd', NAN, 'must be a finite number >= 0, got nan'), ('wd', -1, 'must be a finite number >= 0, got -1'), ('wd', INF, 'got inf'),
                ('n_factors', 0, 'n_factors must be a whole number of at least 1, got 0'), ('n_factors', 2.5, 'got 2.5'),
                ('bs', 0, 'bs must be a whole number of at least 1, got 0'), ('epochs', 0, 'epochs must be a whole number'),
                ('epochs', True, 'epochs must be a whole number of at least 1, got True')]

def tiny(n=600, nu=30, ni=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, nu, (n,), generator=g), torch.randint(0, ni, (n,), generator=g), torch.randint(1, 6, (n,), generator=g).float(), nu, ni

@pytest.mark.parametrize('name,value,msg', BAD_SETTINGS, ids=[f'{n}={v!r}' for n, v, _ in BAD_SETTINGS])
@pytest.mark.parametrize('trainer', ['fit_mf', 'fit_sgd'])
def test_every_trainer_refuses_the_same_settings(trainer, name, value, msg):
    u, i, r, nu, ni = tiny()
    if trainer == 'fit_sgd':
        name, msg = {'wd': 'reg'}.get(name, name), msg.replace('wd', 'reg')
        f = lambda **k: fit_sgd(u.numpy(), i.numpy(), r.numpy(), nu, ni, **k)
    else: f = lambda **k: fit_mf(u, i, r, nu, ni, **k)
    with pytest.raises(ValueError, match=re.escape(msg)): f(**{'epochs': 1, name: value})

# (trainer, settings, the setting the message must blame, with its value)
DIVERGING = [('fit_mf', dict(lr=1e30), 'lower lr (now 1e+30), e.g. to 1e+29'),
             ('fit_mf', dict(wd=1e6, bs=8), 'lower wd (now 1e+06), e.g. to 50: with lr 0.01, lr × wd must stay below 1'),
             ('fit_sgd', dict(lr=1e6, init_std=10.), 'lower lr (now 1e+06), e.g. to 100000'),
             ('fit_sgd', dict(reg=1e6), 'lower reg (now 1e+06), e.g. to 7.14: with lr 0.07, lr × reg must stay below 1'),
             ('fit_sgd', dict(reg_bias=1e6), 'lower reg_bias (now 1e+06)')]

@pytest.mark.parametrize('trainer,kw,msg', DIVERGING, ids=[f'{t} {k}' for t, k, _ in DIVERGING])
def test_a_diverging_fit_is_an_error_that_blames_the_right_setting(trainer, kw, msg):
    u, i, r, nu, ni = tiny()
    f = (lambda: fit_sgd(u.numpy(), i.numpy(), r.numpy(), nu, ni, epochs=2, **kw)) if trainer == 'fit_sgd' else \
        (lambda: fit_mf(u, i, r, nu, ni, epochs=2, **kw))
    with pytest.raises(FloatingPointError, match='training diverged at epoch') as e: f()
    assert msg in str(e.value), str(e.value)

@pytest.mark.parametrize('value', [0., 5.5])
def test_fit_sgd_every_rating_at_an_end_of_the_range(value):
    u, i, r, nu, ni = tiny()
    m, h = fit_sgd(u.numpy(), i.numpy(), np.full(len(r), value, np.float32), nu, ni, epochs=2)
    assert np.isfinite(h.train_mse).all() and all(p.isfinite().all() for p in m.parameters())

BAD_BIASES = [(dict(reg_u=NAN), 'reg_u must be a finite number >= 0, got nan'), (dict(reg_i=-1), 'reg_i must be a finite number >= 0, got -1'),
              (dict(reg_u=INF), 'reg_u must be a finite number >= 0, got inf'), (dict(sweeps=0), 'sweeps must be a whole number of at least 1'),
              (dict(sweeps=2.5), 'sweeps must be a whole number of at least 1, got 2.5'), (dict(reg_i='1'), "reg_i must be a finite number >= 0, got '1'")]

@pytest.mark.parametrize('kw,msg', BAD_BIASES, ids=[str(k) for k, _ in BAD_BIASES])
def test_fit_biases_bad_settings(kw, msg):
    u, i, r, nu, ni = tiny()
    with pytest.raises(ValueError, match=re.escape(msg)): fit_biases(u, i, r, nu, ni, **kw)

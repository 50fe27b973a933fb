"Shared pytest settings: markers, and the small ratings table several test files use."
import numpy as np, pandas as pd, pytest

def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: runs the course notebooks in a real JupyterLab driven by headless Chromium "
        "(slow; deselect with -m 'not browser')")
    config.addinivalue_line(
        "markers",
        "site: builds the course site and reads it in headless Chromium with no web access "
        "(deselect with -m 'not site')")
    config.addinivalue_line("markers", "slow: takes tens of seconds (e.g. several processes building the data cache)")

@pytest.fixture(scope='session')
def toy() -> pd.DataFrame:
    "60 ratings by 6 users of 10 movies, every pair distinct."
    rng = np.random.default_rng(0)
    pairs = [(u, m) for u in range(1, 7) for m in range(1, 11)]
    return pd.DataFrame({'user': [u for u, _ in pairs], 'movie': [m for _, m in pairs],
                         'rating': rng.integers(1, 6, len(pairs)).astype(float)})

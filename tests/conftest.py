def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: runs the course notebooks in a real JupyterLab driven by headless Chromium "
        "(slow; deselect with -m 'not browser')")
    config.addinivalue_line("markers", "slow: takes tens of seconds (e.g. several processes building the data cache)")

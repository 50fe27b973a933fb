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

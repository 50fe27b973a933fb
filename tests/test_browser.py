"""Run every course notebook the way a learner does: in a real JupyterLab, in a real browser.

A JupyterLab server is started on loopback with a random token, its root a temporary copy of
`nbs/` (so no run ever writes outputs into the repository), and headless Debian Chromium is
driven with Playwright. In that copy the cells flagged with settings.ini's test flags (`#| slow`,
`#| notest`) are left out: nbdev_test has already run every cell, and this test checks what only
JupyterLab can show. Each worker loads JupyterLab once and opens the notebooks in that page one
after another, as a learner opens files. For each course notebook the test opens it, runs all cells from the Run
menu, waits until every code cell has run and the kernel is idle, then checks that no output
shows an error, that the plots were rendered as images and that the training tables appeared
(as many as the committed notebook has outside the flagged cells). `.ci/run` runs two notebooks
at a time (`pytest -n 2`: each worker has its own JupyterLab and browser). A screenshot per notebook is saved to
the git-ignored `tests/screenshots/tmp/` (or the folder `COLLAB_BROWSER_SHOTS` names).

Run it on its own with `pytest -m browser tests/test_browser.py`; leave it out with
`-m "not browser"`. Environment variables:

- `COLLAB_BROWSER_NBS`: a folder of notebooks to test instead of `nbs/`.
- `COLLAB_BROWSER_TIMEOUT`: seconds allowed per notebook (default 1800: generous, for busy machines).
- `CI=true`: a missing browser, Playwright or JupyterLab fails the test instead of skipping it.

- `COLLAB_BROWSER_SHOTS`: the folder for the screenshots (default: the git-ignored `tests/screenshots/tmp/`).

The test never changes a tracked file. The README's picture, `tests/screenshots/06_interpret.png`, is updated on
purpose, by naming its folder:
`COLLAB_BROWSER_SHOTS=tests/screenshots python -m pytest -m browser tests/test_browser.py -k 06_interpret`.
"""
import ast, configparser, json, os, re, secrets, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
NBS = Path(os.environ.get('COLLAB_BROWSER_NBS') or REPO/'nbs').resolve()
SHOTS = Path(os.environ.get('COLLAB_BROWSER_SHOTS') or REPO/'tests'/'screenshots'/'tmp').resolve()
TIMEOUT = float(os.environ.get('COLLAB_BROWSER_TIMEOUT', 1800))
IN_CI = os.environ.get('CI', '').lower() == 'true'
CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']
# the course's notebooks (01_factors), their sidebars (02a_sampling) and the module notebooks in subfolders
# (internals/00_checks), named by their path under nbs/; not index.ipynb, nor nbdev's or Jupyter's own folders
NOTEBOOKS = sorted(p.relative_to(NBS).as_posix() for p in NBS.rglob('*.ipynb')
                   if re.match(r'\d\d[a-z]?_', p.name) and not any(part.startswith(('_', '.')) for part in p.relative_to(NBS).parts))


def skip_flags() -> set[str]:
    "The flags of settings.ini's `tst_flags` (e.g. slow, notest): cells carrying one are left out of this test."
    cfg = configparser.ConfigParser(); cfg.read(REPO/'settings.ini', encoding='utf-8')
    return set(cfg['DEFAULT'].get('tst_flags', '').split())


DIRECTIVE = re.compile(r'^\s*#\|\s*(\w+)\s*$', re.M)  # an nbdev flag directive such as `#| slow`


def flagged(cell, flags) -> bool:
    "Is `cell` a code cell with one of `flags` as an nbdev directive (`#| slow`, `#|slow`)?"
    src = ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
    return cell['cell_type'] == 'code' and bool(set(DIRECTIVE.findall(src)) & flags)


def drop_flagged_cells(path, flags):
    "Rewrite the notebook at `path` without its flagged cells; return how many were left out."
    nb = json.loads(Path(path).read_text(encoding='utf-8'))
    keep = [c for c in nb['cells'] if not flagged(c, flags)]
    n, nb['cells'] = len(nb['cells']) - len(keep), keep
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding='utf-8')
    return n

# JupyterLab settings for a quiet, predictable UI: start the default kernel without asking,
# attach every cell to the page (so outputs can be counted), no news or update checks.
LAB_SETTINGS = {
    '@jupyterlab/notebook-extension/tracker.jupyterlab-settings':
        {'autoStartDefaultKernel': True, 'windowingMode': 'none'},
    '@jupyterlab/apputils-extension/notification.jupyterlab-settings':
        {'fetchNews': 'false', 'checkForUpdates': False},
}
PAGE_CONFIG = {'disabledExtensions': {'@jupyterlab/apputils-extension:announcements': True}}


def _missing(what):
    "Fail in CI, skip elsewhere, when a browser-test requirement is missing."
    msg = f"{what} (install it with .ci/browser-deps.sh and pip install -e '.[dev]')"
    if IN_CI: pytest.fail(msg)
    pytest.skip(msg)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _alive(pid):
    try: os.kill(pid, 0)
    except ProcessLookupError: return False
    except PermissionError: return True
    return True


def _stop_group(pid, grace=15):
    "SIGTERM the process group led by `pid`, then SIGKILL it if it is still there after `grace` s."
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5)):
        try: os.killpg(pid, sig)
        except ProcessLookupError: return
        end = time.monotonic() + wait
        while time.monotonic() < end and _alive(pid): time.sleep(0.2)


class Lab:
    "A running JupyterLab server: its URL, token, root folder and log."
    def __init__(self, tmp):
        self.tmp, self.root = tmp, tmp/'nbs'
        self.port, self.token = _free_port(), secrets.token_hex(24)
        self.url = f'http://127.0.0.1:{self.port}'
        self.log_path = tmp/'lab.log'
        self.kernel_pids, self.proc = [], None

    def log_tail(self, n=40):
        try: return '\n'.join(self.log_path.read_text(errors='replace').splitlines()[-n:])
        except OSError: return ''

    def api(self, path, method='GET', body=None):
        req = urllib.request.Request(f'{self.url}{path}', method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={'Authorization': f'token {self.token}', 'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=30) as r: return r.read()

    def start_spare(self):
        "Start a kernel for the next notebook now, so it boots while this one runs (as a session on a placeholder path)."
        if getattr(self, 'spare', None) is not None: return  # the last one is still waiting
        self.spare = json.loads(self.api('/api/sessions', 'POST', dict(
            path=f'spare-{secrets.token_hex(4)}.ipynb', type='notebook', name='', kernel=dict(name='python3'))))['id']

    def give_spare(self, name):
        "Hand the waiting kernel to notebook `name` (top-level notebooks only: a kernel's folder is fixed when it starts)."
        sid = getattr(self, 'spare', None)
        if sid is None or '/' in name: return  # it waits for the next top-level notebook
        self.spare = None
        self.api(f'/api/sessions/{sid}', 'PATCH', dict(path=name, name=name))

    def start(self):
        shutil.copytree(NBS, self.root, ignore=shutil.ignore_patterns('_docs', '_proc', '.ipynb_checkpoints'))
        flags = skip_flags()
        for nb in self.root.rglob('*.ipynb'): drop_flagged_cells(nb, flags)
        cfg, settings = self.tmp/'config', self.tmp/'user-settings'
        for rel, value in LAB_SETTINGS.items():
            (settings/rel).parent.mkdir(parents=True, exist_ok=True)
            (settings/rel).write_text(json.dumps(value))
        (cfg/'labconfig').mkdir(parents=True)
        (cfg/'labconfig'/'page_config.json').write_text(json.dumps(PAGE_CONFIG))
        # an empty data folder: no kernel spec installed by hand elsewhere can replace this environment's own kernel
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(cfg), JUPYTER_RUNTIME_DIR=str(self.tmp/'runtime'),
                   JUPYTER_DATA_DIR=str(self.tmp/'data'), PYTHONUNBUFFERED='1')
        env.pop('JUPYTER_PATH', None)
        env.pop('JUPYTER_TOKEN', None)
        cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root',
               '--ServerApp.ip=127.0.0.1', f'--port={self.port}', '--ServerApp.port_retries=0',
               f'--IdentityProvider.token={self.token}', f'--ServerApp.root_dir={self.root}',
               f'--LabApp.user_settings_dir={settings}', f'--LabApp.workspaces_dir={self.tmp/"workspaces"}',
               '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
               '--LabApp.expose_app_in_browser=True', '--ServerApp.terminals_enabled=False']
        with open(self.log_path, 'wb') as log:
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f'JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}')
            try:
                self.api('/api/status'); return
            except (urllib.error.URLError, ConnectionError, TimeoutError): time.sleep(0.5)
        raise RuntimeError(f'JupyterLab did not answer within 120 s:\n{self.log_tail()}')

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try: self.api('/api/shutdown', method='POST')  # shuts its kernels down cleanly
            except Exception: pass
            try: self.proc.wait(20)
            except subprocess.TimeoutExpired: pass
            _stop_group(self.proc.pid)
            try: self.proc.wait(5)
            except subprocess.TimeoutExpired: pass
        # kernels run in sessions of their own: make sure none outlives the server
        for pid in self.kernel_pids:
            try: ours = str(self.tmp) in Path(f'/proc/{pid}/cmdline').read_text(errors='replace')
            except OSError: ours = False  # gone already
            if ours: _stop_group(pid, grace=5)


@pytest.fixture(scope='module')
def lab():
    try: import jupyterlab  # noqa: F401
    except ImportError: _missing('JupyterLab is not installed')
    tmp = Path(tempfile.mkdtemp(prefix='collab-browser-'))
    server = Lab(tmp)
    try:
        server.start()
        yield server
    finally:
        try: server.stop()
        finally: shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope='module')
def browser():
    exe = shutil.which('chromium')
    if exe is None: _missing("Debian's `chromium` is not on PATH")
    try: from playwright.sync_api import sync_playwright
    except ImportError: _missing('Python Playwright is not installed')
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try: yield b
        finally: b.close()


@pytest.fixture(scope='module')
def context(browser):
    "One browser context for all the notebooks of a worker: JupyterLab's scripts load from its cache after the first."
    ctx = browser.new_context(viewport={'width': 1280, 'height': 800})
    try: yield ctx
    finally: ctx.close()


APP_READY = "() => !!(window.jupyterapp && window.jupyterapp.commands.hasCommand('docmanager:open'))"
OPEN = "async name => { await window.jupyterapp.commands.execute('docmanager:open', {path: name}); }"
# after a notebook: stop its kernel, then close its tab without the unsaved-changes dialog
CLOSE = """async () => {
  const p = window.__panel;
  if (!p) return;
  window.__panel = null;
  try { await p.sessionContext.shutdown(); } catch (e) {}
  p.context.model.dirty = false;
  p.dispose(); }"""


class LabPage:
    "A JupyterLab page kept open for all the notebooks of a worker: each one opens in it as a learner opens a file."
    def __init__(self, context, lab): self.context, self.lab, self.page = context, lab, None

    def get(self):
        "The loaded page (loading JupyterLab once, or again after a notebook left it in a bad state)."
        if self.page is None:
            self.page = self.context.new_page()
            self.page.set_default_timeout(60_000)
            self.page.goto(f'{self.lab.url}/lab?reset&token={self.lab.token}')
            self.page.wait_for_function(APP_READY, timeout=120_000)
            self.page.evaluate('() => window.jupyterapp.restored')
        return self.page

    def done(self, ok):
        "Close the notebook's tab and kernel; start from a fresh page next time if this one failed."
        if self.page is None: return
        try: self.page.evaluate(CLOSE)
        except Exception: ok = False
        if not ok or self.page.locator('.jp-Dialog').count():
            self.page.close(); self.page = None


@pytest.fixture(scope='module')
def lab_page(context, lab):
    lp = LabPage(context, lab)
    try: yield lp
    finally:
        if lp.page is not None: lp.page.close()


def expected_outputs(path):
    "What the committed notebook shows: code cells to run, PNG plots, HTML tables, training tables."
    nb = json.loads(Path(path).read_text())
    code = [c for c in nb['cells'] if c['cell_type'] == 'code']
    outs = [o for c in code for o in c.get('outputs', [])]
    html = [''.join(o.get('data', {}).get('text/html', '')) for o in outs]
    return dict(
        cells=sum(''.join(c['source']).strip() != '' for c in code),
        images=sum('image/png' in o.get('data', {}) for o in outs),
        tables=sum('<table' in h for h in html),
        training=sum(bool(re.search(r'<th[^>]*>\s*epoch\s*</th>', h)) for h in html))


FIND_PANEL = """name => {
  const app = window.jupyterapp;
  if (!app) return false;
  for (const w of app.shell.widgets('main'))
    if (w.context && w.context.path === name && w.content && w.content.model) {
      window.__panel = w; app.shell.activateById(w.id); return true; }
  return false; }"""

KERNEL_READY = """async () => {
  const sc = window.__panel.sessionContext;
  await sc.ready;
  const k = sc.session && sc.session.kernel;
  return k ? {name: k.name, status: k.status} : null; }"""

# run in the notebook's own kernel without adding to its history (execution counts stay 1, 2, ...)
KERNEL_CHECK = """async () => {
  const k = window.__panel.sessionContext.session.kernel;
  const f = k.requestExecute({code: '', silent: true, store_history: false, user_expressions: {
    file: "__import__('collab_tutorial').__file__", version: "__import__('collab_tutorial').__version__",
    prefix: "__import__('sys').prefix", pid: "__import__('os').getpid()"}});
  return (await f.done).content; }"""

STATE = """() => {
  const p = window.__panel, nb = p.content, model = nb.model, cells = [];
  for (let i = 0; i < model.cells.length; i++) {
    const c = model.cells.get(i);
    if (c.type !== 'code' || c.sharedModel.getSource().trim() === '') continue;
    const errors = [];
    for (let j = 0; j < c.outputs.length; j++) {
      const o = c.outputs.get(j).toJSON();
      if (o.output_type === 'error') errors.push(`${o.ename}: ${o.evalue}`); }
    cells.push({index: i, count: c.executionCount, errors}); }
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  const busy = [...nb.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .filter(e => e.textContent.includes('*')).length;
  const dialogs = [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.trim());
  return {cells, kernel: k ? k.status : 'no kernel', busy, dialogs}; }"""

SHOWN = """() => {
  const root = window.__panel.content.node;
  const stderr = [...root.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')].map(e => e.innerText);
  const imgs = [...root.querySelectorAll('.jp-OutputArea-output img')];
  const tables = [...root.querySelectorAll('.jp-OutputArea-output table')];
  const heads = t => [...t.querySelectorAll('th')].map(th => th.innerText.trim());
  return {
    tracebacks: stderr.filter(t => /Traceback|^\\w*(Error|Exception)\\b/m.test(t)),
    images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    tables: tables.length, training: tables.filter(t => heads(t).includes('epoch')).length}; }"""

SCROLL_TO_SHOW = """() => {
  const root = window.__panel.content.node;
  const err = [...root.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .find(e => e.innerText.includes('Traceback'));
  const el = err || root.querySelector('.jp-OutputArea-output img') ||
             root.querySelector('.jp-OutputArea-output table.fastprogress');
  if (el) el.scrollIntoView({block: 'center'});
  else window.__panel.content.scrollToItem(0); }"""


def _accept_kernel_dialog(page):
    "Accept a 'Select Kernel' dialog (default kernel) if JupyterLab shows one."
    dlg = page.locator('.jp-Dialog')
    if dlg.count() and 'kernel' in dlg.first.inner_text().lower() and 'select' in dlg.first.inner_text().lower():
        dlg.first.locator('.jp-mod-accept').click()


def _check_kernel(page, lab):
    "The notebook's kernel imports the installed `collab_tutorial`, from the environment running this test."
    import collab_tutorial
    reply = page.evaluate(KERNEL_CHECK)
    res = reply.get('user_expressions', {})
    bad = {k: f"{v.get('ename')}: {v.get('evalue')}" for k, v in res.items() if v.get('status') != 'ok'}
    assert reply.get('status') == 'ok' and not bad, f'the kernel cannot import collab_tutorial: {bad or reply}'
    got = {k: ast.literal_eval(v['data']['text/plain']) for k, v in res.items()}
    lab.kernel_pids.append(got['pid'])
    assert Path(got['prefix']).resolve() == Path(sys.prefix).resolve(), \
        f"the kernel runs {got['prefix']}, not the environment running the tests ({sys.prefix})"
    assert got['version'] == collab_tutorial.__version__, (got['version'], collab_tutorial.__version__)
    print(f"\nkernel {got['pid']} imports collab_tutorial {got['version']} from {got['file']}")
    return got


def _run_all(page, name, budget, lab):
    "Open `name` in the loaded JupyterLab, check its kernel, run all cells from the Run menu, wait; return the state."
    deadline = time.monotonic() + budget
    lab.give_spare(name)
    page.evaluate(OPEN, name)
    end = time.monotonic() + 120
    while not page.evaluate(FIND_PANEL, name):
        if time.monotonic() > end: raise AssertionError(f'{name} did not open in JupyterLab')
        _accept_kernel_dialog(page); page.wait_for_timeout(250)
    end = time.monotonic() + 120
    while True:
        _accept_kernel_dialog(page)
        k = page.evaluate(KERNEL_READY)
        if k and k['status'] == 'idle': break
        if time.monotonic() > end: raise AssertionError(f'the kernel of {name} did not become idle: {k}')
        page.wait_for_timeout(250)
    _check_kernel(page, lab)
    lab.start_spare()
    page.wait_for_timeout(250)  # let the UI settle before using the menus
    page.locator('.lm-MenuBar-item', has_text=re.compile(r'^\s*Run\s*$')).click()
    page.locator('.lm-Menu-item').filter(
        has=page.locator('.lm-Menu-itemLabel', has_text=re.compile(r'^\s*Run All Cells\s*$'))).click()
    stable, last = 0, None
    while time.monotonic() < deadline:
        page.wait_for_timeout(250)
        s = page.evaluate(STATE)
        if any(d for d in s['dialogs']): return s  # e.g. 'Kernel Restarting': the kernel died
        errors = [c for c in s['cells'] if c['errors']]
        done = all(c['count'] is not None for c in s['cells'])
        quiet = s['kernel'] == 'idle' and s['busy'] == 0
        # finished once every cell has a count and the kernel is quiet on two polls in a row; stopped at an error
        # once quiet with the same state for a second
        key = (quiet, done, len(errors), tuple(c['count'] for c in s['cells']))
        stable = stable + 1 if quiet and key == last else 0
        last = key
        if quiet and done and stable >= 1: return s
        if quiet and errors and stable >= 4: return s
        if quiet and not done and stable >= 40 and not any(c['count'] for c in s['cells']):
            return s  # Run All never started
    s = page.evaluate(STATE)
    s['timeout'] = True
    return s


def use_top10_panel(page):
    "Use 12a's panel as a learner would: find titles, rate four movies, ask for the top 10, change a rating, reset."
    panel = page.locator('.top10-panel').last
    panel.scroll_into_view_if_needed()
    find, pick, stars = panel.locator('input[type="text"]'), panel.locator('select').nth(0), panel.locator('select').nth(1)
    rows = panel.locator('table.top10 tbody tr')
    def rate(query, title, n):
        find.fill(query)
        pick.locator(f'option[value="{title}"]').wait_for(state='attached')   # the labels use &nbsp; for spaces
        pick.select_option(value=title); stars.select_option(label=n)
        panel.locator('button', has_text='Rate').click()
        panel.locator('.widget-html', has_text=f'{title}: {n}').wait_for()
    def titles(): return rows.locator('td:first-child').all_inner_texts()
    for q, t, n in [('star wars', 'Star Wars (1977)', '5'), ('alien', 'Alien (1979)', '4.5'),
                    ('terminator', 'Terminator, The (1984)', '5'), ('fargo', 'Fargo (1996)', '2')]: rate(q, t, n)
    panel.locator('button', has_text='My top 10').click()
    page.wait_for_function("() => document.querySelectorAll('.top10-panel table.top10 tbody tr').length === 10")
    first = titles()
    assert len(first) == 10 and not {'Star Wars (1977)', 'Alien (1979)', 'Fargo (1996)'} & set(first), first
    panel.scroll_into_view_if_needed(); page.wait_for_timeout(300)
    panel.screenshot(path=str(SHOTS/'top10_panel.png'))
    rate('fargo', 'Fargo (1996)', '5')                                # the list follows the new rating
    for _ in range(40):
        if titles() != first: break
        page.wait_for_timeout(250)
    assert len(titles()) == 10 and titles() != first, (first, titles())
    panel.locator('button', has_text='Reset').click()
    rows.first.wait_for(state='detached')
    print(f"12a_your_top10: the panel listed {first[:3]}..., and a new list after Fargo went from 2 to 5 stars")

# what the test does in a notebook after Run All has passed, beyond the checks every notebook gets
INTERACTIONS = {'12a_your_top10.ipynb': use_top10_panel}


@pytest.mark.parametrize('name', NOTEBOOKS, ids=[n.removesuffix('.ipynb') for n in NOTEBOOKS])
def test_notebook_in_jupyterlab(name, lab_page, lab, record_property):
    want = expected_outputs(lab.root/name)  # the copy the server runs, even if nbs/ changed since
    shot, passed = SHOTS/f"{name.removesuffix('.ipynb').replace('/', '-')}.png", False
    shot.unlink(missing_ok=True)
    t0, page = time.monotonic(), lab_page.get()
    try:
        s = _run_all(page, name, TIMEOUT, lab)
        secs = time.monotonic() - t0
        record_property('browser_seconds', round(secs))
        print(f'\n{name}: {secs:.0f} s in JupyterLab')

        # screenshot first, so a failing notebook leaves a picture of what went wrong
        page.evaluate(SCROLL_TO_SHOW)
        page.wait_for_timeout(300)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))

        shown = page.evaluate(SHOWN)
        for _ in range(20):  # images are decoded asynchronously
            if shown['loaded'] == shown['images']: break
            page.wait_for_timeout(250); shown = page.evaluate(SHOWN)
        record_property('shown', shown)
        print(f'{name}: expected {want}, shown {dict(shown, tracebacks=len(shown["tracebacks"]))}')

        ran = sum(c['count'] is not None for c in s['cells'])
        assert not s.get('timeout'), (f"{name} did not finish within {TIMEOUT:.0f} s (COLLAB_BROWSER_TIMEOUT): "
                                      f"{ran} of {len(s['cells'])} code cells ran, kernel {s['kernel']}")
        assert not s['dialogs'], f'JupyterLab showed a dialog while running {name}: {s["dialogs"]}'
        errors = [f"cell {c['index']}: {e}" for c in s['cells'] for e in c['errors']]
        assert not errors and not shown['tracebacks'], (
            f'{name} raised in JupyterLab: ' + '; '.join(errors) + '\nThe page shows:\n'
            + '\n\n'.join(t[-1500:] for t in shown['tracebacks']))
        missing = [c['index'] for c in s['cells'] if c['count'] is None]
        assert not missing, f'{name}: cells {missing} never ran (Run All Cells did not reach them)'
        counts = [c['count'] for c in s['cells']]
        assert counts == list(range(1, len(counts) + 1)), f'{name}: cells did not run once each, in order: {counts}'
        assert len(counts) == want['cells'], (len(counts), want['cells'])
        assert shown['images'] >= want['images'], f"{name}: {shown['images']} plots shown, the notebook has {want['images']}"
        assert shown['loaded'] == shown['images'], f"{name}: {shown['images'] - shown['loaded']} images did not render"
        assert shown['tables'] >= want['tables'], f"{name}: {shown['tables']} tables shown, the notebook has {want['tables']}"
        assert shown['training'] >= want['training'], \
            f"{name}: {shown['training']} training tables shown, the notebook has {want['training']}"
        if name in INTERACTIONS: INTERACTIONS[name](page)
        passed = True
    finally:
        if not passed and not shot.exists():
            try: SHOTS.mkdir(parents=True, exist_ok=True); page.screenshot(path=str(shot))
            except Exception: pass
        lab_page.done(passed)  # free the kernel's memory before the next notebook

"""The course site, read in a real browser with no web access.

The site is built with `tools/build_docs.py` into a temporary folder (or `COLLAB_SITE` names a built one), served
from 127.0.0.1 on a free port by a small `http.server` thread, and every page reachable from the landing page is
opened in headless Debian Chromium through Playwright, with every request routed: one for another host fails the
test (and is not sent). The checks: no page logs a console error; every image displays; every link to the site
answers 200 and every `#anchor` exists on its page; math is rendered by MathJax with no TeX error; Sphinx's
search finds the notebook that teaches weight decay; every notebook has a page that links to its `.ipynb` and
shows its plots and tables; every module has an API page with its docments.

Run it with `pytest -m site tests/test_site.py`; leave it out with `-m "not site"`. Environment variables:

- `COLLAB_SITE`: a built site to check instead of building one (e.g. `_docs` after `python tools/build_docs.py`).
- `COLLAB_SITE_SHOTS`: the folder for the screenshot `site.png` (default: the git-ignored `tests/screenshots/tmp/`).
- `CI=true`: a missing browser, Playwright or docs extra fails the test instead of skipping it.

The test never changes a tracked file. The README's picture, `tests/screenshots/site.png`, is updated on purpose:
`COLLAB_SITE_SHOTS=tests/screenshots python -m pytest -m site tests/test_site.py`.
"""
import functools, http.server, importlib, importlib.util, json, os, re, shutil, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.parse, urllib.request
from pathlib import Path

import pytest

from test_browser import IN_CI, browser  # noqa: F401 (browser: the same headless Chromium fixture)

pytestmark = pytest.mark.site

REPO = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get('COLLAB_SITE_SHOTS') or REPO/'tests'/'screenshots'/'tmp').resolve()
SHOT_PAGE = 'nbs/04_bias.html'  # a chapter with plots, for the README's picture


def _git_status():
    try: return subprocess.run(['git', 'status', '--porcelain'], cwd=REPO, capture_output=True, text=True).stdout
    except OSError: return None


@pytest.fixture(scope='module')
def site_dir():
    "A freshly built site in a temporary folder (or the one `COLLAB_SITE` names)."
    if os.environ.get('COLLAB_SITE'):
        yield Path(os.environ['COLLAB_SITE']).resolve(); return
    missing = [m for m in ('sphinx', 'myst_nb', 'sphinx_book_theme', 'sphinx-mathjax-offline')
               if importlib.util.find_spec(m) is None]
    if missing:  # as test_browser.py does for the browser: fail in CI, skip elsewhere
        (pytest.fail if IN_CI else pytest.skip)(f"{', '.join(missing)} not installed (pip install -e '.[docs]')")
    tmp = Path(tempfile.mkdtemp(prefix='collab-site-'))
    try:
        before, t0 = _git_status(), time.monotonic()
        r = subprocess.run([sys.executable, str(REPO/'tools'/'build_docs.py'), '--out', str(tmp/'site')],
                           cwd=REPO, capture_output=True, text=True)
        assert r.returncode == 0, f'the site did not build:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}'
        print(f'\nsite built in {time.monotonic() - t0:.0f} s')
        assert _git_status() == before, 'building the site changed the working tree'
        yield tmp/'site'
    finally: shutil.rmtree(tmp, ignore_errors=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        "A request the browser dropped (it navigated on) is no error; anything else is printed."
        if not isinstance(sys.exc_info()[1], ConnectionError): super().handle_error(request, client_address)


@pytest.fixture(scope='module')
def server(site_dir):
    "The site served from 127.0.0.1 on a free port; yields its base URL."
    httpd = _Server(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site_dir)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try: yield f'http://127.0.0.1:{httpd.server_port}/'
    finally:
        httpd.shutdown(); httpd.server_close(); t.join(10)


@pytest.fixture(scope='module')
def context(browser, server):
    "A browser context that lets only requests to the test server through, noting any other."
    ctx = browser.new_context(viewport={'width': 1366, 'height': 900})
    ctx.outside = []
    host = urllib.parse.urlsplit(server).netloc
    def route(r):
        if urllib.parse.urlsplit(r.request.url).netloc == host: r.continue_()
        else: ctx.outside.append(r.request.url); r.abort()
    ctx.route('**/*', route)
    try: yield ctx
    finally: ctx.close()


PAGE_STATE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const math = [...document.querySelectorAll('mjx-container')];
  return {
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
         .concat([...document.querySelectorAll('a[name]')].map(e => e.name)),
    images: imgs.map(i => ({src: i.currentSrc || i.src, width: i.naturalWidth})),
    math: math.length, display_math: math.filter(e => e.getAttribute('display') === 'true').map(box),
    // a TeX error, or (MathJax's noundefined extension) an unknown macro, which it shows as red text
    math_errors: [...document.querySelectorAll('mjx-merror, mjx-mtext[style*="red"]')].map(e =>
      ([...MathJax.startup.document.math].find(i => i.typesetRoot && i.typesetRoot.contains(e)) || {}).math),
    tex_left: document.querySelectorAll('div.math, span.math').length - math.length,
    downloads: [...document.querySelectorAll('a[download]')].map(a => a.getAttribute('href')),
    output_images: document.querySelectorAll('.cell_output img').length,
    output_tables: document.querySelectorAll('.cell_output table').length,
    output_headings: document.querySelectorAll('.cell_output .rubric').length,
    api_tables: [...document.querySelectorAll('table.api-params')].map(t => t.innerText),
  }; }"""


def _status(url):
    req = urllib.request.Request(url, method='HEAD')
    try:
        with urllib.request.urlopen(req, timeout=10) as r: return r.status
    except urllib.error.HTTPError as e: return e.code


@pytest.fixture(scope='module')
def crawl(context, server):
    "Open every page reachable from the landing page; return what each showed and logged."
    page = context.new_page()
    page.set_default_timeout(30_000)
    log = []
    page.on('console', lambda m: log.append(f'console {m.type}: {m.text}') if m.type == 'error' else None)
    page.on('pageerror', lambda e: log.append(f'page error: {e}'))
    pages, todo, t0 = {}, [server + 'index.html'], time.monotonic()
    while todo:
        url = todo.pop(0)
        if url in pages: continue
        log.clear()
        resp = page.goto(url, wait_until='load')
        state = page.evaluate(PAGE_STATE)
        page.wait_for_timeout(50)  # let late console messages arrive
        state.update(status=resp.status if resp else None, errors=list(log))
        pages[url] = state
        for href in state['links']:
            target = urllib.parse.urldefrag(href).url
            if target.startswith(server) and target.endswith('.html') and target not in pages: todo.append(target)
    print(f'\ncrawled {len(pages)} pages in {time.monotonic() - t0:.0f} s')
    page.close()
    return pages


def _rel(url, server): return url[len(server):]


def test_pages_load_without_errors(crawl, server):
    assert len(crawl) > 20, f'only {len(crawl)} pages reachable from the landing page'
    bad = {_rel(u, server): (s['status'], s['errors']) for u, s in crawl.items() if s['status'] != 200 or s['errors']}
    assert not bad, f'pages that failed or logged errors: {bad}'


def test_no_request_leaves_the_machine(crawl, context):
    assert not context.outside, f'requests to other hosts (blocked): {sorted(set(context.outside))}'


def test_images_display(crawl, server):
    bad = [(_rel(u, server), i['src']) for u, s in crawl.items() for i in s['images'] if i['width'] == 0]
    assert not bad, f'images that did not display: {bad}'
    assert crawl[server + 'index.html']['images'], "the landing page shows none of the README's images"


def test_internal_links_resolve(crawl, server):
    broken, missing_anchor, checked = [], [], {}
    for url, s in crawl.items():
        for href in s['links']:
            if not href.startswith(server): continue
            target, frag = urllib.parse.urldefrag(href)
            if target in crawl:
                if crawl[target]['status'] != 200:
                    broken.append(f"{_rel(url, server)} -> {_rel(href, server)} ({crawl[target]['status']})")
                elif frag and urllib.parse.unquote(frag) not in crawl[target]['ids']:
                    missing_anchor.append(f'{_rel(url, server)} -> {_rel(href, server)}')
            else:
                if target not in checked: checked[target] = _status(target)
                if checked[target] != 200: broken.append(f'{_rel(url, server)} -> {_rel(href, server)} ({checked[target]})')
    assert not broken, f'links that do not answer 200: {broken}'
    assert not missing_anchor, f'links to anchors that do not exist: {missing_anchor}'


def test_math_renders(crawl, server):
    with_math = {_rel(u, server): s for u, s in crawl.items() if s['math']}
    assert with_math, 'no page shows rendered math'
    errors = {p: s['math_errors'] for p, s in with_math.items() if s['math_errors']}
    assert not errors, f'TeX errors: {errors}'
    left = {_rel(u, server): s['tex_left'] for u, s in crawl.items() if s['tex_left'] > 0}
    assert not left, f'math left as TeX source: {left}'
    boxes = [b for s in with_math.values() for b in s['display_math']]
    assert boxes and all(w > 0 and h > 0 for w, h in boxes), f'display formulas and their sizes: {boxes}'


def _title(nb):
    for c in json.loads(nb.read_text(encoding='utf-8'))['cells']:
        m = re.match(r'\s*#\s+(.+)', ''.join(c['source'])) if c['cell_type'] == 'markdown' else None
        if m: return m.group(1)
    return ''


def _notebooks(): return sorted(p for p in (REPO/'nbs').rglob('*.ipynb') if p.name != 'index.ipynb'
                                and '.ipynb_checkpoints' not in p.parts)


def test_search_finds_weight_decay(context, server, crawl):
    want = {p.relative_to(REPO).with_suffix('.html').as_posix() for p in _notebooks()
            if 'weight decay' in _title(p).lower()}
    assert want, 'no notebook has "weight decay" in its title'
    page = context.new_page()
    try:
        page.goto(server + 'search.html?q=weight+decay')
        page.wait_for_selector('#search-results ul.search li a', timeout=30_000)
        found = [_rel(urllib.parse.urldefrag(h).url, server) for h in page.eval_on_selector_all(
            '#search-results ul.search li a', 'els => els.map(a => a.href)')]
    finally: page.close()
    assert want & set(found[:3]), f'searching "weight decay" gives {found[:5]}, not one of {sorted(want)}'


def _shown(nb):
    "What the page of `nb` must show: PNG plots, HTML tables, `show_doc` headings, and whether its prose has math."
    want, math = dict(output_images=0, output_tables=0, output_headings=0), False
    for c in json.loads(nb.read_text(encoding='utf-8'))['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            prose = re.sub(r'```.*?```|`[^`\n]*`', '', src, flags=re.S)  # no math inside code
            math = math or bool(re.search(r'\$[^$\n]+\$', prose))
        if c['cell_type'] != 'code' or re.search(r'^\s*#\|\s*(hide|default_exp)\b', src, re.M): continue
        for o in c.get('outputs', []):
            d = o.get('data', {})
            want['output_images'] += 'image/png' in d
            want['output_tables'] += '<table' in ''.join(d.get('text/html', ''))
            want['output_headings'] += 'text/html' not in d and bool(
                re.search(r'^#{1,6} ', ''.join(d.get('text/markdown', '')), re.M))  # show_doc: markdown only
    return want, math


def test_every_notebook_has_a_page(crawl, server):
    for nb in _notebooks():
        rel = nb.relative_to(REPO).as_posix()
        url = server + rel[:-len('.ipynb')] + '.html'
        assert url in crawl, f'{rel} has no page reachable from the landing page'
        s = crawl[url]
        assert nb.name in s['downloads'], f'the page of {rel} does not link to its notebook: {s["downloads"]}'
        want, math = _shown(nb)
        shown = {k: s[k] for k in want}
        assert all(shown[k] >= n for k, n in want.items()), f'{rel}: the notebook has {want}, its page shows {shown}'
        assert s['math'] or not math, f'{rel} has math in its markdown, its page shows none rendered'


def test_api_pages_show_docments(crawl, server):
    from fastcore.docments import docments
    mods = sorted(p.stem for p in (REPO/'collab_tutorial').glob('*.py') if not p.stem.startswith('_'))
    for m in mods:
        assert server + f'api/{m}.html' in crawl, f'collab_tutorial.{m} has no API page'
    # the first documented parameter in the package: its comment is in its module's table
    sys.path.insert(0, str(REPO))
    for m in mods:
        mod = importlib.import_module(f'collab_tutorial.{m}')
        for name in getattr(mod, '__all__', []):
            f = getattr(mod, name)
            if not callable(f) or isinstance(f, type): continue
            doc = {k: v for k, v in docments(f).items() if v and k != 'return'}
            if doc:
                param, comment = next(iter(doc.items()))
                comment = comment.replace('`', '')  # code spans are shown as code, without the backticks
                tables = '\n'.join(crawl[server + f'api/{m}.html']['api_tables'])
                ok = param in tables and comment in tables
                assert ok, f"api/{m}.html has no table row for {name}'s `{param}`: {comment!r}"
                return
    pytest.fail('no exported function has docments')


def test_screenshot_of_a_chapter(context, server, crawl):
    "A picture of a course page with a plot, for the README (written outside the tracked tree unless asked)."
    assert server + SHOT_PAGE in crawl
    page = context.new_page()
    try:
        page.goto(server + SHOT_PAGE)
        page.evaluate("() => document.querySelector('.cell_output img').scrollIntoView({block: 'center'})")
        page.wait_for_timeout(500)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS/'site.png'))
    finally: page.close()
    assert (SHOTS/'site.png').stat().st_size > 10_000


def test_panel_is_a_picture_on_the_site(crawl, server):
    "12a's panel needs a kernel: its page shows the picture from the browser test, says why, and no dead widget."
    url = server + 'nbs/12a_your_top10.html'
    page = crawl[url]
    assert any('top10_panel' in i['src'] and i['width'] > 0 for i in page['images']), \
        f"the page of 12a_your_top10 shows no picture of the panel: {page['images']}"
    html = urllib.request.urlopen(url).read().decode()
    assert 'top10_panel.png' in html and 'needs a running kernel' in html
    assert 'application/vnd.jupyter.widget' not in html and 'Loading widget' not in html

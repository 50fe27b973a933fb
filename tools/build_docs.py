"""Build the course site, a static website read in any browser with no web access, from the committed notebooks.

Usage: `python tools/build_docs.py` writes the site to the git-ignored `_docs/` (open `_docs/index.html`, or
serve the folder with `python -m http.server -d _docs`); `--out DIR` writes it elsewhere.

nbdev's own `nbdev_docs` renders with Quarto, a binary that `pip` cannot install without web access (PyPI's
`quarto-cli` downloads it at install time). This script uses Sphinx with myst-nb and sphinx-book-theme instead,
the engine of Jupyter Book 1: all three install from PyPI (`pip install -e ".[docs]"`), myst-nb renders a
notebook's saved outputs without running it, and Sphinx builds a client-side search index. Tried side by side
on the same 21 notebooks (2 shared CPU cores, no API pages yet), it took 11 s where MkDocs Material with
mkdocs-jupyter took 29 s; neither reads docments, so the API pages are written here from fastcore's `docments`.
The whole build takes 20 to 75 s on 2 cores, depending on what else runs there, most of it Sphinx reading and
highlighting the notebooks, the rest importing the package for its API pages.

What the site holds:
- the README (generated from `nbs/index.ipynb`) as the landing page; its links to notebooks, `bench/*.md` and
  images lead to their pages and copies on the site;
- every notebook of `nbs/` as a page, in file-name order, outputs as committed (plots, tables, `show_doc`
  markdown, math), nothing re-executed; notebooks in `nbs/internals/` come last, as "Package internals".
  nbdev's directives are honoured as on an nbdev site (`#| hide` and `#| default_exp` cells are left out,
  `#| echo: false` hides the code, `#| output: false` the outputs), and each page links to its `.ipynb`, copied
  next to the page;
- an API page per module of `collab_tutorial/`, from each exported name's signature, docstring and docments
  (the comment after each parameter);
- `bench/*.md`, the committed benchmark results.

Nothing a page loads comes from another host: the theme, its icons, MathJax (from sphinx-mathjax-offline) and
the search index are files of the built folder. The sources are staged in a temporary folder, so the build never
changes a tracked file.
"""
import argparse, importlib, inspect, json, os, pkgutil, re, reprlib, shutil, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS, CONF = ROOT/'nbs', ROOT/'docs'
SECTIONS = {'internals': 'Package internals'}  # subfolders of nbs/ shown after the course, with their captions
IMAGE_EXTS = {'.png', '.jpg', '.jpeg', '.gif', '.svg', '.webp'}


def course_notebooks(nbs=NBS):
    "[(caption, [notebook paths])]: nbs/*.ipynb in file-name order (index.ipynb is the README), then subfolders."
    top = sorted(p for p in nbs.glob('*.ipynb') if p.name != 'index.ipynb' and not p.name.startswith(('_', '.')))
    out = [('Course', top)]
    for sub in sorted(d for d in nbs.iterdir() if d.is_dir() and not d.name.startswith(('_', '.'))):
        found = sorted(p for p in sub.glob('*.ipynb') if not p.name.startswith(('_', '.')))
        if found: out.append((SECTIONS.get(sub.name, sub.name.replace('_', ' ').capitalize()), found))
    return out


# ---------------------------------------------------------------------------------------------- notebooks
SHOWDOC_LINK = re.compile(r'\]\((https?://[^)\s]+)\)\{target="_blank"[^}]*\}')


def _directives(src):
    "nbdev directives at the top of a code cell (`#| name args`) and the source without them."
    lines, dirs = src.splitlines(), {}
    while lines and (lines[0].strip() == '' or re.match(r'\s*#\|', lines[0])):
        m = re.match(r'\s*#\|\s*([\w-]+)\s*:?\s*(.*)', lines.pop(0))
        if m: dirs[m.group(1)] = m.group(2).strip()
    return dirs, '\n'.join(lines)


def _text(x): return ''.join(x) if isinstance(x, list) else (x or '')


def stage_notebook(src, dest, default_exp):
    "Write the notebook at `src` as the site shows it to `dest`; note its `default_exp` module in `default_exp`."
    nb = json.loads(src.read_text(encoding='utf-8'))
    cells = []
    for cell in nb['cells']:
        if cell['cell_type'] == 'code':
            dirs, code = _directives(_text(cell['source']))
            if 'default_exp' in dirs: default_exp[dirs['default_exp'].split()[0]] = src
            if 'hide' in dirs or 'default_exp' in dirs or dirs.get('include') == 'false': continue
            tags = cell.setdefault('metadata', {}).setdefault('tags', [])
            if dirs.get('echo') == 'false': tags.append('remove-input')
            if dirs.get('output') == 'false': tags.append('remove-output')
            cell['source'] = code
            for o in cell.get('outputs', []):  # show_doc's "source" link: Quarto attributes -> a CSS class
                md = o.get('data', {}).get('text/markdown')
                if md is None: continue
                md = re.sub(r'\A\s*---\s*\n', '', _text(md))  # a rule can't sit in an output: CSS draws it
                o['data']['text/markdown'] = SHOWDOC_LINK.sub(r'](\1){.showdoc-source}', md)
        cells.append(cell)
    link = {'cell_type': 'markdown', 'id': 'nb-source-link', 'metadata': {}, 'source':
            f'<p class="nb-source">This page is the notebook <a href="{src.name}" download><code>{src.name}</code></a> '
            'with the outputs of its committed run; download it to run it in JupyterLab.</p>'}
    cells.insert(1 if cells and cells[0]['cell_type'] == 'markdown' else 0, link)
    nb['cells'] = cells
    nb['metadata']['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    nb['metadata']['language_info'] = {'name': 'python', 'pygments_lexer': 'ipython3'}
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb), encoding='utf-8')


# ----------------------------------------------------------------------------------------------- API pages
_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxdict, _repr.maxlist, _repr.maxtuple = 80, 120, 6, 8, 8


def _anno(a):
    if a is inspect.Parameter.empty: return ''
    if a is None: return 'None'
    return a if isinstance(a, str) else getattr(a, '__name__', None) or str(a).replace('typing.', '')


def _value(v):
    "A default value as the source writes it: classes and functions by name, no memory addresses."
    if isinstance(v, type) or inspect.isroutine(v): return v.__name__
    return re.sub(r' at 0x[0-9a-f]+', '', repr(v))


def _cell(s): return str(s).replace('\n', ' ').strip()


def params_table(f):
    "A myst list-table of `f`'s parameters (type, default, docments comment) and return value; '' if it has none."
    from fastcore.docments import docments
    try: docs = docments(f, full=True)
    except (TypeError, ValueError, OSError): return ''
    rows = []
    for name, d in docs.items():
        if name in ('self', 'cls'): continue
        default = '' if d['default'] is inspect.Parameter.empty else f"`{_value(d['default'])}`"
        anno = _anno(d['anno'])
        if name == 'return':
            if anno in ('', 'None') and not d['docment']: continue
            name, default = '**Returns**', ''
        else: name = f'`{name}`'
        rows.append([name, f'`{anno}`' if anno else '', default, _cell(d['docment'] or '')])
    if not any(r[3] for r in rows): return ''  # no comment to show: the signature says it all
    out = ['```{list-table}', ':header-rows: 1', ':class: api-params', '']
    for row in [['Parameter', 'Type', 'Default', 'Details']] + rows:
        out += [f'* - {row[0]}'] + [f'  - {c}' if c else '  - ' for c in row[1:]]
    return '\n'.join(out) + '\n```\n'


def _param(p):
    "A parameter as written in the source: `name:anno=default`, annotations unquoted."
    s = {p.VAR_POSITIONAL: '*', p.VAR_KEYWORD: '**'}.get(p.kind, '') + p.name
    if p.annotation is not p.empty: s += f':{_anno(p.annotation)}'
    if p.default is not p.empty: s += f'={_value(p.default)}'
    return s


def _signature(name, obj, kind='def'):
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return ''
    params, pieces = [p for p in sig.parameters.values() if p.name not in ('self', 'cls')], []
    for p in params:  # the `*` and `/` markers of keyword-only and positional-only parameters
        if p.kind == p.KEYWORD_ONLY and not any(q.kind in (q.KEYWORD_ONLY, q.VAR_POSITIONAL) for q in params[:params.index(p)]):
            pieces.append('*')
        pieces.append(_param(p))
        if p.kind == p.POSITIONAL_ONLY and (p is params[-1] or params[params.index(p) + 1].kind != p.POSITIONAL_ONLY):
            pieces.append('/')
    ret = '' if sig.return_annotation is sig.empty or kind == 'class' else f'->{_anno(sig.return_annotation)}'
    text = f"{kind} {name}({', '.join(pieces)}){ret}"
    if len(text) > 90 and pieces:  # one parameter a line, as show_doc does
        body = ',\n'.join(f'    {p}' for p in pieces)
        text = f'{kind} {name}(\n{body}\n){ret}'
    return f'```python\n{text}\n```\n'


def _doc(obj):
    "The object's own docstring (not one inherited, as `inspect.getdoc` would give)."
    d = getattr(obj, '__doc__', None)
    return f'{inspect.cleandoc(d)}\n' if d else ''


def document(name, obj, level='##'):
    "Markdown for one exported name: heading, signature, docstring, parameter table (and a class's methods)."
    if isinstance(obj, type):
        parts = [f'{level} {name}\n', _signature(name, obj, 'class'), _doc(obj), params_table(obj)]
        fields = getattr(obj, '__dataclass_fields__', {})  # a dataclass field's default is no method
        for mname, m in vars(obj).items():
            if mname.startswith('_') or mname in fields: continue
            f = m.__func__ if isinstance(m, (staticmethod, classmethod)) else m
            if not inspect.isfunction(f): continue
            parts += [f'{level}# {name}.{mname}\n', _signature(mname, f), _doc(f), params_table(f)]
        return '\n'.join(p for p in parts if p)
    if callable(obj):
        return '\n'.join(p for p in [f'{level} {name}\n', _signature(name, obj), _doc(obj), params_table(obj)] if p)
    if hasattr(obj, '_repr_html_'):  # a table: shown as a notebook shows it
        return f'{level} {name}\n\n`{type(obj).__name__}`\n\n{obj._repr_html_()}\n'
    return f"{level} {name}\n\n```python\n{name} = {re.sub(r' at 0x[0-9a-f]+', '', _repr.repr(obj))}\n```\n"


def api_pages(stage, default_exp, lib='collab_tutorial'):
    "Write api/<module>.md for each module of the package; return their names, in file-name order."
    pkg = importlib.import_module(lib)
    names = []
    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if m.name.startswith('_'): continue  # _modidx: nbdev's index, no API
        mod = importlib.import_module(f'{lib}.{m.name}')
        exported = getattr(mod, '__all__', None)
        if exported is None: exported = [n for n, o in vars(mod).items() if not n.startswith('_')
                                         and getattr(o, '__module__', None) == mod.__name__]
        head = [f'# {lib}.{m.name}\n']
        if mod.__doc__: head.append(f'> {inspect.cleandoc(mod.__doc__)}\n')
        nb = default_exp.get(m.name)
        if nb is not None:
            rel = nb.relative_to(NBS).as_posix()
            head.append(f'Exported from the notebook [{nb.stem}](../nbs/{rel}), which shows every name below '
                        'at work. Parameter comments come from the source (docments).\n')
        body = [document(n, getattr(mod, n)) for n in exported if hasattr(mod, n)]
        (stage/'api').mkdir(exist_ok=True)
        (stage/'api'/f'{m.name}.md').write_text('\n'.join(head + body), encoding='utf-8')
        names.append(m.name)
    return names


# ------------------------------------------------------------------------------------------ README, assets
LINK = re.compile(r'\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|<img[^>]+src="([^"]+)"')


def copy_linked(text, src_dir, stage):
    "Copy into `stage` the repository files that `text` (written in `src_dir`) links to, at the same place."
    for m in LINK.finditer(text):
        target = (m.group(1) or m.group(2)).split('#')[0]
        if not target or re.match(r'[a-z][a-z0-9+.-]*:', target, re.I) or target.startswith('/'): continue
        p = (src_dir/target).resolve()
        if not p.is_file() or ROOT not in p.parents: continue
        dest = stage/p.relative_to(ROOT)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dest)


def nav_entry(nb):
    "A toctree line for notebook `nb`: its number and title (`04 Bias and weight decay`), linking to its page."
    cells = json.loads(nb.read_text(encoding='utf-8'))['cells']
    heads = [m.group(1) for c in cells if c['cell_type'] == 'markdown'
             for m in [re.match(r'\s*#\s+(.+)', _text(c['source']))] if m]
    doc = nb.relative_to(ROOT).with_suffix('').as_posix()
    if not heads: return doc
    title = re.sub(r'[`*<>]', '', heads[0]).strip()  # toctree titles are plain text
    num = nb.stem.split('_')[0]
    return f'{num} {title} <{doc}>' if re.fullmatch(r'\d+[a-z]?', num) else f'{title} <{doc}>'


def toctree(caption, entries):
    return '\n'.join(['', '```{toctree}', f':caption: {caption}', ':hidden:', ''] + entries + ['```', ''])


def stage_sources(stage):
    "Write every source page into `stage`; return (notebook pages, api pages, other pages)."
    default_exp, pages = {}, []
    sections = course_notebooks()
    for _, nbs in sections:
        for nb in nbs:
            rel = nb.relative_to(ROOT)
            stage_notebook(nb, stage/rel, default_exp)
            pages.append(rel)
            md = '\n'.join(_text(c['source']) for c in json.loads(nb.read_text(encoding='utf-8'))['cells']
                           if c['cell_type'] == 'markdown')
            copy_linked(md, nb.parent, stage)
    bench = sorted((ROOT/'bench').glob('*.md'))
    (stage/'bench').mkdir(exist_ok=True)
    for b in bench:
        shutil.copy2(b, stage/'bench'/b.name)
        copy_linked(b.read_text(encoding='utf-8'), b.parent, stage)
    api = api_pages(stage, default_exp)
    readme = (ROOT/'README.md').read_text(encoding='utf-8')
    copy_linked(readme, ROOT, stage)
    index = [readme]
    for caption, nbs in sections:
        index.append(toctree(caption, [nav_entry(nb) for nb in nbs]))
    index.append(toctree('API reference', [f'api/{n}' for n in api]))
    index.append(toctree('Benchmark results', [f'bench/{b.stem}' for b in bench]))
    (stage/'index.md').write_text('\n'.join(index), encoding='utf-8')
    return pages, api, bench


def check_out(out) -> Path:
    "`out` as an absolute path if the site may be written there; else `SystemExit` with one line naming --out."
    out = Path(out).resolve()
    if out.exists() and not out.is_dir(): raise SystemExit(f'--out {out} is a file: name a folder for the site')
    if out.is_dir() and any(out.iterdir()) and not (out/'.buildinfo').exists():
        raise SystemExit(f'--out {out} exists and is not an earlier build of the site: name another --out')
    if ROOT == out or ROOT.is_relative_to(out) or NBS.is_relative_to(out) or out.is_relative_to(NBS):
        raise SystemExit(f'--out {out} would put the site in place of, or among, the course sources: name another --out')
    near = next(p for p in [out, *out.parents] if p.exists())   # the nearest folder that exists: the site goes there
    if not near.is_dir(): raise SystemExit(f"--out {out} can't be written: {near} is a file")
    if not os.access(near, os.W_OK | os.X_OK): raise SystemExit(f"--out {out} can't be written: {near} is not writable")
    return out


def build(out, quiet=True):
    "Build the site into `out`; an earlier build there is replaced only once the new one is complete. The number of HTML pages."
    from sphinx.cmd.build import build_main
    out = check_out(out)
    with tempfile.TemporaryDirectory(prefix='collab-docs-') as tmp:
        # everything Sphinx writes stays in `tmp` (myst-nb puts a jupyter_execute/ folder beside the output)
        stage, html = Path(tmp)/'src', Path(tmp)/'build'/'html'
        stage.mkdir()
        pages = stage_sources(stage)[0]
        args = ['-b', 'html', '-c', str(CONF), '-d', str(Path(tmp)/'build'/'doctrees'), '-j', 'auto', '-n'] + \
               (['-q'] if quiet else []) + [str(stage), str(html)]
        if build_main(args): raise SystemExit(f'sphinx-build failed (see above); {out} is as it was')
        for rel in pages:  # the notebooks themselves, next to their pages, for the pages' download links
            shutil.copy2(ROOT/rel, html/rel)
        out.parent.mkdir(parents=True, exist_ok=True)
        new, old = (out.with_name(f'.{out.name}.{w}-{os.getpid()}') for w in ('new', 'old'))
        shutil.move(html, new)   # a copy when the temporary folder is on another disk: beside `out`, not in it
        if out.exists(): out.rename(old)   # the earlier build (check_out made sure it is one) goes only now
        new.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    return sum('_static' not in p.relative_to(out).parts for p in out.rglob('*.html'))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default=str(ROOT/'_docs'), help='folder to write the site to (default: _docs/)')
    p.add_argument('-v', '--verbose', action='store_true', help="show Sphinx's progress, not only its warnings")
    a = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # document this checkout's package, not another install of it
    t0 = time.perf_counter()
    n = build(a.out, quiet=not a.verbose)
    print(f'built {n} pages into {a.out} in {time.perf_counter() - t0:.0f} s; open {Path(a.out)/"index.html"}')


if __name__ == '__main__': main()

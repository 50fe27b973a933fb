"Course-wide rules every notebook and exported module follows (see the project's guide)."
import ast, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
# every notebook, in subfolders too (the module notebooks under nbs/internals/), but not nbdev's or Jupyter's own folders
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))
MODULES = sorted(p for p in (ROOT/'collab_tutorial').glob('*.py') if p.name != '_modidx.py')  # __init__ too: internals/01_init exports it
MACHINE_PATHS = ('/root/', '/work/', '/tmp/ipykernel', '/home/')

def cells(nb: Path): return json.loads(nb.read_text(encoding='utf-8'))['cells']
def src(cell) -> str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def output_texts(cell):
    for o in cell.get('outputs', []):
        for t in ([o.get('text', '')] + list(o.get('data', {}).values()) + o.get('traceback', [])):
            if isinstance(t, list): t = ''.join(t)
            if isinstance(t, str): yield t

def nb_id(p: Path) -> str: return p.relative_to(ROOT/'nbs').as_posix()

def exported_module(nb: Path) -> str | None:
    "The module notebook `nb` exports (its `#| default_exp`), or None."
    m = re.search(r'^#\|\s*default_exp\s+(\S+)', '\n'.join(src(c) for c in cells(nb) if c['cell_type'] == 'code'), re.M)
    return m and m.group(1)

def course_order(nb: Path) -> tuple:
    "Where a notebook sits in the course: internals first (every module may use them), then by file name."
    rel = nb.relative_to(ROOT/'nbs')
    return (rel.parts[0] != 'internals', rel.as_posix())

NOTEBOOK_OF = {exported_module(nb): nb for nb in NBS if exported_module(nb)}

def test_every_module_has_one_notebook():
    "Each module of the package is exported by exactly one notebook, and each notebook's module exists."
    owners = [exported_module(nb) for nb in NBS if exported_module(nb)]
    assert len(owners) == len(set(owners)), f"notebooks export the same module twice: {sorted(owners)}"
    mods = {p.stem for p in MODULES}
    assert set(owners) == mods, f"modules without a notebook, or notebooks without a module: {set(owners) ^ mods}"

@pytest.mark.parametrize('mod', MODULES, ids=lambda p: p.name)
def test_modules_import_only_earlier_notebooks(mod):
    "A module imports only modules of notebooks that come before its own (anywhere in it, lazy imports too)."
    tree, mine = ast.parse(mod.read_text(encoding='utf-8')), course_order(NOTEBOOK_OF[mod.stem])
    used = {n.module.split('.')[1] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
            and n.module.startswith('collab_tutorial.')}
    used |= {n.module.split('.')[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module}  # nbdev's `from .fast import`
    used |= {a.name.split('.')[1] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
             if a.name.startswith('collab_tutorial.')}
    later = sorted(u for u in used if u in NOTEBOOK_OF and course_order(NOTEBOOK_OF[u]) > mine)
    assert not later, f"collab_tutorial/{mod.name} imports {later}, taught in later notebooks"

LINK = re.compile(r'\]\(([^)\s]+?\.(?:ipynb|md|png|py))(?:#[^)]*)?\)')

@pytest.mark.parametrize('nb', NBS, ids=nb_id)
def test_links_resolve(nb):
    "Every relative link in a notebook's markdown (to a notebook, a page, a picture or a file) points at a file."
    bad = [l for c in cells(nb) if c['cell_type'] == 'markdown' for l in LINK.findall(src(c))
           if '://' not in l and not (nb.parent/l).exists()]
    assert not bad, f"{nb_id(nb)} links to files that do not exist: {bad}"

@pytest.mark.parametrize('mod', MODULES, ids=lambda p: p.name)
def test_star_import_gives_documented_names(mod):
    "`from collab_tutorial.<module> import *` gives exactly `__all__`, and every function and class in it has a docstring."
    import importlib
    m, ns = importlib.import_module(f'collab_tutorial.{mod.stem}'), {}
    exec(f'from collab_tutorial.{mod.stem} import *', ns)
    assert set(ns) - {'__builtins__'} == set(m.__all__)
    missing = [n for n in m.__all__ if callable(getattr(m, n)) and not (getattr(m, n).__doc__ or '').strip()]
    assert not missing, f"collab_tutorial/{mod.name}: exported without a docstring: {missing} (add one in its notebook)"

@pytest.mark.parametrize('nb', NBS, ids=nb_id)
def test_no_machine_paths(nb):
    "Outputs (and sources) must not reveal where the notebook ran: scrub /root, /work, /home, /tmp/ipykernel."
    for i, c in enumerate(cells(nb)):
        for t in [src(c), *output_texts(c)]:
            for p in MACHINE_PATHS:
                assert p not in t, f"{nb_id(nb)} cell {i} contains a machine path {p!r}: {t[max(0, t.find(p)-60):t.find(p)+60]!r}"

@pytest.mark.parametrize('nb', NBS, ids=nb_id)
def test_no_saved_widget_state(nb):
    "A widget works only with a running kernel: no notebook keeps ipywidgets' state or view outputs (tools/run_nb.py drops them)."
    assert 'widgets' not in json.loads(nb.read_text(encoding='utf-8'))['metadata'], f"{nb_id(nb)} keeps ipywidgets state"
    views = [i for i, c in enumerate(cells(nb)) for o in c.get('outputs', [])
             if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})]
    assert not views, f"{nb_id(nb)} cells {views} keep a widget view output: run it with tools/run_nb.py"

"Course-wide rules every notebook and exported module follows (see the project's guide)."
import ast, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
# every notebook, in subfolders too (the module notebooks under nbs/internals/), but not nbdev's or Jupyter's own folders
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb')
             if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))
MODULES = sorted(p for p in (ROOT/'collab_tutorial').glob('*.py') if not p.name.startswith('_'))
MACHINE_PATHS = ('/root/', '/work/', '/tmp/ipykernel', '/home/')

def cells(nb: Path): return json.loads(nb.read_text(encoding='utf-8'))['cells']
def src(cell) -> str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def output_texts(cell):
    for o in cell.get('outputs', []):
        for t in ([o.get('text', '')] + list(o.get('data', {}).values()) + o.get('traceback', [])):
            if isinstance(t, list): t = ''.join(t)
            if isinstance(t, str): yield t

def nb_id(p: Path) -> str: return p.relative_to(ROOT/'nbs').as_posix()

def test_found_notebooks_and_modules():
    names = [nb_id(p) for p in NBS]
    assert '00_data.ipynb' in names and 'index.ipynb' in names and 'internals/00_checks.ipynb' in names
    assert any(p.stem == 'data' for p in MODULES)

@pytest.mark.parametrize('nb', NBS, ids=nb_id)
def test_no_machine_paths(nb):
    "Outputs (and sources) must not reveal where the notebook ran: scrub /root, /work, /home, /tmp/ipykernel."
    for i, c in enumerate(cells(nb)):
        for t in [src(c), *output_texts(c)]:
            for p in MACHINE_PATHS:
                assert p not in t, f"{nb_id(nb)} cell {i} contains a machine path {p!r}: {t[max(0, t.find(p)-60):t.find(p)+60]!r}"

@pytest.mark.parametrize('nb', [p for p in NBS if p.stem != 'index'], ids=nb_id)
def test_ends_with_check_your_understanding(nb):
    heads = [l for c in cells(nb) if c['cell_type'] == 'markdown' for l in src(c).splitlines() if l.startswith('#')]
    assert any(re.match(r'#+\s+Check your understanding', l, re.I) for l in heads), \
        f"{nb_id(nb)} has no 'Check your understanding' heading"

def exported_defs(mod: Path):
    "The functions and classes a module exports (its `__all__`), as ast nodes."
    tree = ast.parse(mod.read_text(encoding='utf-8'))
    all_ = next((ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and any(getattr(t, 'id', None) == '__all__' for t in n.targets)), [])
    return [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name in all_]

@pytest.mark.parametrize('mod', MODULES, ids=lambda p: p.name)
def test_exported_functions_have_docstrings(mod):
    missing = [n.name for n in exported_defs(mod) if not (ast.get_docstring(n) or '').strip()]
    assert not missing, f"collab_tutorial/{mod.name}: exported without a docstring: {missing} (add one in its notebook)"

@pytest.mark.parametrize('nb', NBS, ids=nb_id)
def test_no_saved_widget_state(nb):
    "A widget works only with a running kernel: no notebook keeps ipywidgets' state or view outputs (tools/run_nb.py drops them)."
    assert 'widgets' not in json.loads(nb.read_text(encoding='utf-8'))['metadata'], f"{nb_id(nb)} keeps ipywidgets state"
    views = [i for i, c in enumerate(cells(nb)) for o in c.get('outputs', [])
             if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})]
    assert not views, f"{nb_id(nb)} cells {views} keep a widget view output: run it with tools/run_nb.py"

"The installed package matches settings.ini: it imports, has the same version, declares the console script."
import importlib, importlib.metadata as md, shlex
from configparser import ConfigParser
from pathlib import Path
import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='module')
def settings():
    cfg = ConfigParser(delimiters=['='])
    cfg.read(ROOT/'settings.ini', encoding='utf-8')
    return cfg['DEFAULT']

def test_imports_from_this_checkout():
    import collab_tutorial
    assert Path(collab_tutorial.__file__).resolve().parent == ROOT/'collab_tutorial', \
        "collab_tutorial is imported from somewhere else; install this checkout with `pip install -e .`"

def test_version_matches_settings(settings):
    import collab_tutorial
    assert collab_tutorial.__version__ == settings['version']
    assert md.version('collab_tutorial') == settings['version'], "the installed metadata is stale: reinstall with `pip install -e .`"

def test_console_script_declared(settings):
    scripts = dict(s.split('=', 1) for s in settings['console_scripts'].split())
    assert scripts.get('collab_tutorial') == 'collab_tutorial.cli:main'
    eps = [e for e in md.entry_points(group='console_scripts') if e.name == 'collab_tutorial']
    assert eps and eps[0].value == 'collab_tutorial.cli:main', "the console script is not installed: `pip install -e .`"

def test_console_script_target_exists():
    "The entry point must resolve once nbs/18_cli.ipynb exports collab_tutorial/cli.py."
    if not (ROOT/'collab_tutorial'/'cli.py').exists(): pytest.skip('collab_tutorial/cli.py is not written yet (nbs/18_cli)')
    assert callable(importlib.import_module('collab_tutorial.cli').main)

def test_installed_requirements_match_settings(settings):
    "The installed metadata carries settings.ini's requirements and pins (setup.py read it)."
    installed = {Requirement(r).name.lower(): Requirement(r).specifier for r in md.requires('collab_tutorial')
                 if 'extra ==' not in r}
    for r in map(Requirement, shlex.split(settings['requirements'])):
        assert installed.get(r.name.lower()) == r.specifier, f"{r}: reinstall with `pip install -e .`"

def test_modules_import():
    "Every exported module imports on its own (no hidden dependence on notebook state)."
    mods = sorted(p.stem for p in (ROOT/'collab_tutorial').glob('*.py') if not p.stem.startswith('_') and p.stem != 'cli')
    assert 'data' in mods
    for m in mods: importlib.import_module(f'collab_tutorial.{m}')

# import name -> distribution name, where they differ
DIST_OF = {'IPython': 'ipython', 'surprise': 'scikit-surprise', 'yaml': 'pyyaml', 'sklearn': 'scikit-learn', 'PIL': 'pillow'}

def imported_packages() -> set[str]:
    "Top-level names of the third-party packages that collab_tutorial's modules import (at any depth in the code)."
    import ast, sys
    found = set()
    for p in (ROOT/'collab_tutorial').glob('*.py'):
        for n in ast.walk(ast.parse(p.read_text(encoding='utf-8'))):
            if isinstance(n, ast.Import): found |= {a.name.split('.')[0] for a in n.names}
            elif isinstance(n, ast.ImportFrom) and not n.level: found.add(n.module.split('.')[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ('collab_tutorial', '__future__')}

def test_requirements_cover_imports(settings):
    "settings.ini's runtime requirements (or, for the optional peers of the benchmark, its bench extra) name every package the code imports."
    reqs = {Requirement(r).name.lower() for k in ('requirements', 'bench_requirements') for r in shlex.split(settings[k])}
    missing = sorted(m for m in imported_packages() if DIST_OF.get(m, m).lower() not in reqs)
    assert not missing, f"collab_tutorial imports {missing}, which settings.ini's requirements do not list"

def test_dev_tools_are_not_runtime_requirements(settings):
    "nbdev and execnb build and test the course; the installed package never imports them."
    reqs = {Requirement(r).name.lower() for r in shlex.split(settings['requirements'])}
    assert not reqs & {'nbdev', 'execnb', 'pytest', 'jupyterlab', 'playwright'}, reqs
    assert not imported_packages() & {'nbdev', 'execnb', 'pytest'}

def test_wheel_ships_py_typed(tmp_path):
    "A wheel built from this checkout contains `collab_tutorial/py.typed` (PEP 561), so type checkers read the hints."
    import shutil, subprocess, sys, zipfile
    assert (ROOT/'collab_tutorial'/'py.typed').is_file()
    src = tmp_path/'src'
    shutil.copytree(ROOT/'collab_tutorial', src/'collab_tutorial', ignore=shutil.ignore_patterns('__pycache__'))
    for f in ('setup.py', 'settings.ini', 'MANIFEST.in', 'README.md', 'LICENSE'): shutil.copy(ROOT/f, src/f)
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', str(src), '-w', str(tmp_path/'dist')],
                   check=True, capture_output=True, cwd=tmp_path)
    names = zipfile.ZipFile(next((tmp_path/'dist').glob('*.whl'))).namelist()
    assert 'collab_tutorial/py.typed' in names, names

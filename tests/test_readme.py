"README.md says what nbs/index.ipynb says: it is generated from it, and both give the same two quick-start commands."
import importlib.util, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def load_sync():
    spec = importlib.util.spec_from_file_location('sync_readme', ROOT/'tools'/'sync_readme.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

def index_markdown() -> str:
    cells = json.loads((ROOT/'nbs'/'index.ipynb').read_text(encoding='utf-8'))['cells']
    return '\n\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown')

def section(md: str, title: str) -> str:
    "The text under the heading `title`, up to the next heading of the same or a higher level."
    m = re.search(rf'^(#+)\s+{re.escape(title)}\s*$', md, re.M | re.I)
    assert m, f"no '{title}' heading"
    end = re.compile(rf'^#{{1,{len(m.group(1))}}}\s', re.M).search(md, m.end())
    return md[m.end(): end.start() if end else len(md)]

def shell_commands(md: str) -> list[str]:
    "The commands in the fenced bash/sh/shell blocks of the Quick start section."
    blocks = re.findall(r'^```(?:bash|sh|shell|console)\s*\n(.*?)^```', section(md, 'Quick start'), re.M | re.S)
    return [l.strip().lstrip('$ ') for b in blocks for l in b.splitlines() if l.strip() and not l.strip().startswith('#')]

def test_quick_start_agrees():
    readme = shell_commands((ROOT/'README.md').read_text(encoding='utf-8'))
    index = shell_commands(index_markdown())
    assert readme == index, f"README {readme} vs index {index}"

def test_quick_start_is_two_commands():
    cmds = shell_commands(index_markdown())
    assert len(cmds) == 2, cmds
    install_run, tests = cmds
    assert 'torch==2.13.0' in install_run and '-e .' in install_run and 'collab_tutorial ' in install_run
    assert tests == 'bash .ci/run'
    assert (ROOT/'.ci'/'run').exists()

def test_readme_is_generated_from_index():
    assert (ROOT/'README.md').read_text(encoding='utf-8') == load_sync().render(ROOT/'nbs'/'index.ipynb'), \
        "README.md is out of date: run `python tools/sync_readme.py`"

def test_readme_lists_every_notebook():
    readme = (ROOT/'README.md').read_text(encoding='utf-8')
    for nb in sorted((ROOT/'nbs').glob('[0-9][0-9]_*.ipynb')):
        assert f'](nbs/{nb.name})' in readme, f"README.md does not list {nb.name}"

def test_readme_has_the_promised_sections():
    md = (ROOT/'README.md').read_text(encoding='utf-8')
    for title in ('What this course teaches', 'The notebooks', 'Quick start', 'Results'): section(md, title)
    data = section(md, 'The data, with or without web access')
    for word in ('COLLAB_TUTORIAL_DATA', 'COLLAB_TUTORIAL_CACHE', 'COLLAB_TUTORIAL_OFFLINE', 'recbole==1.2.1', 'untar_data'):
        assert word in data, f"the data section does not mention {word}"

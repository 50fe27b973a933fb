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

def test_readme_lists_the_notebooks_in_course_order():
    "The notebook list names every course notebook, sidebar and internals notebook once, in file-name order, and no other file."
    listed = re.findall(r'\]\(nbs/([\w/]+\.ipynb)\)', section((ROOT/'README.md').read_text(encoding='utf-8'), 'The notebooks'))
    course = sorted(p.relative_to(ROOT/'nbs').as_posix() for p in (ROOT/'nbs').rglob('[0-9][0-9]*_*.ipynb')
                    if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT/'nbs').parts))
    top = [n for n in listed if '/' not in n]
    assert top == sorted(top), f"README lists the notebooks out of order: {top}"
    assert sorted(listed) == course, f"README lists {sorted(set(listed) ^ set(course))} wrongly (missing, extra or twice)"

def test_readme_has_the_promised_sections():
    md = (ROOT/'README.md').read_text(encoding='utf-8')
    for title in ('What this course teaches', 'The notebooks', 'Quick start', 'Results'): section(md, title)
    data = section(md, 'The data, with or without web access')
    for word in ('COLLAB_TUTORIAL_DATA', 'COLLAB_TUTORIAL_CACHE', 'COLLAB_TUTORIAL_OFFLINE', 'recbole==1.2.1', 'untar_data'):
        assert word in data, f"the data section does not mention {word}"

def output_numbers(nb: Path) -> list[str]:
    "Every decimal number shown in the outputs of notebook `nb` (text, HTML tables, streams)."
    found = []
    for c in json.loads(nb.read_text(encoding='utf-8'))['cells']:
        for o in c.get('outputs', []):
            texts = [o.get('text', '')] + [v for k, v in o.get('data', {}).items() if k.startswith('text/')]
            for t in texts: found += re.findall(r'\d+\.\d+', ''.join(t) if isinstance(t, list) else t)
    return found

def results_rows() -> list[tuple[str, str]]:
    "(notebook, measured value) for each row of README's results tables that names a notebook and a measured value."
    rows = []
    for line in section((ROOT/'README.md').read_text(encoding='utf-8'), 'Results').splitlines():
        nb = re.search(r'\[(\d\d[a-z]?_\w+)\]\(nbs/\d\d[a-z]?_\w+\.ipynb\)', line)  # 02_dataloaders or a sidebar, 02a_sampling
        val = re.search(r'\*\*(\d+\.\d+)\*\*', line)  # the measured figure is the bold one
        if nb and val: rows.append((nb.group(1), val.group(1)))
    return rows

def test_results_table_matches_notebook_outputs():
    "Each measured figure in README's results comes from the committed outputs of the notebook its row names."
    rows = results_rows()
    assert len(rows) >= 8, rows
    for nb, val in rows:
        shown = output_numbers(ROOT/'nbs'/f'{nb}.ipynb')
        nd = len(val.split('.')[1])
        assert any(abs(float(s) - float(val)) < 0.5 * 10**-nd + 1e-12 for s in shown), \
            f"README says {val} for {nb}, but no output of nbs/{nb}.ipynb rounds to it"

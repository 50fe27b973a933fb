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

def test_data_section_matches_the_loader():
    "The data section names exactly the environment variables the data loaders read, and the recbole release they fetch."
    import collab_tutorial.data as data
    code = Path(data.__file__).read_text(encoding='utf-8')
    read = set(re.findall(r'COLLAB_TUTORIAL_[A-Z_]+', code))
    told = set(re.findall(r'COLLAB_TUTORIAL_[A-Z_]+', section((ROOT/'README.md').read_text(encoding='utf-8'),
                                                             'The data, with or without web access')))
    assert read and read <= told, f"data.py reads {sorted(read - told)}, which the README's data section does not explain"
    assert told <= read | {'COLLAB_TUTORIAL_DATA'}, f"the data section names {sorted(told - read)}, which data.py never reads"
    assert data.RECBOLE_WHEEL.split('-')[1] in section((ROOT/'README.md').read_text(encoding='utf-8'),
                                                       'The data, with or without web access')

# the cell whose output computes each bold figure of the README's results: (notebook, figure) -> cell id
FIGURE_CELLS = {
    ('02a_sampling', '0.8456'): '3f7d1607', ('02a_sampling', '0.8070'): '3f7d1607',
    ('03_dotproduct', '0.8700'): 'ab25f08d', ('03_dotproduct', '0.8749'): '554b7a77',
    ('04_bias', '0.8840'): 'f8b0996c', ('04_bias', '0.8108'): '352b3eb8',
    ('05_embedding', '0.8123'): '0cbfdf35', ('06_interpret', '0.8082'): 'bdb99170',
    ('07_neural', '0.8500'): 'a1c8a159', ('07_neural', '0.8442'): '274248c9',
    **{('10_evaluate', v): '8a15c95d' for v in ('1.1256', '0.9458', '0.9071', '0.9279')},
    **{('12_rank', v): '15dfc31b' for v in ('0.2517', '0.1623', '0.4112', '0.4854', '0.4955', '0.4395')},
}

def output_numbers(cell) -> list[str]:
    "Every decimal number shown in the outputs of one notebook cell (text, HTML tables, streams)."
    found = []
    for o in cell.get('outputs', []):
        texts = [o.get('text', '')] + [v for k, v in o.get('data', {}).items() if k.startswith('text/')]
        for t in texts: found += re.findall(r'\d+\.\d+', ''.join(t) if isinstance(t, list) else t)
    return found

def results_rows() -> list[tuple[str, str]]:
    "(notebook, measured value) for each row of README's results tables that names a notebook and a measured value."
    rows = []
    for line in section((ROOT/'README.md').read_text(encoding='utf-8'), 'Results').splitlines():
        nb = re.search(r'\[(\d\d[a-z]?_\w+)\]\(nbs/\d\d[a-z]?_\w+\.ipynb\)', line)  # 02_dataloaders or a sidebar, 02a_sampling
        vals = re.findall(r'\*\*(\d+\.\d+)\*\*', line)  # the measured figures are the bold ones
        if nb: rows += [(nb.group(1), v) for v in vals]
    return rows

def test_results_table_matches_notebook_outputs():
    "Each bold figure in README's results is what the cell that computes it shows, rounded as the README rounds it."
    rows = results_rows()
    assert sorted(rows) == sorted(FIGURE_CELLS), \
        f"README's bold figures and FIGURE_CELLS differ: {sorted(set(rows) ^ set(FIGURE_CELLS))}; tie each new figure to its cell"
    for (nb, val), cid in FIGURE_CELLS.items():
        cell = next((c for c in json.loads((ROOT/'nbs'/f'{nb}.ipynb').read_text(encoding='utf-8'))['cells'] if c.get('id') == cid), None)
        assert cell is not None, f"nbs/{nb}.ipynb has no cell {cid}, which FIGURE_CELLS names for {val}"
        nd = len(val.split('.')[1])
        assert any(abs(float(s) - float(val)) < 0.5 * 10**-nd + 1e-12 for s in output_numbers(cell)), \
            f"README says {val} for {nb}, but the output of its cell {cid} does not round to it"

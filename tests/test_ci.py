"`.ci/run` and the browser test's handling of nbdev's test flags, checked without a browser or a run of the whole suite."
import json, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def browser_module():
    import test_browser  # tests/ is on the path, as for test_site
    return test_browser

def test_ci_run_refuses_unknown_options():
    r = subprocess.run(['bash', str(ROOT/'.ci'/'run'), '--fast'], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and r.stderr.strip() == 'usage: bash .ci/run [--quick]', (r.returncode, r.stderr)

def test_skip_flags_are_settings_tst_flags():
    assert browser_module().skip_flags() == {'notest', 'slow'}

def test_flagged_cells_are_left_out(tmp_path):
    "The JupyterLab test runs a copy without the cells nbdev_test skips unless asked: `#| slow` and `#| notest`."
    b = browser_module()
    cells = [dict(cell_type='markdown', source='#| slow is only text here'),
             dict(cell_type='code', source='x = 1'),
             dict(cell_type='code', source='#| slow\ny = x'),
             dict(cell_type='code', source=['#|notest\n', 'z = 2']),
             dict(cell_type='code', source='#| hide\n#| slow\nw = 3'),
             dict(cell_type='code', source="s = '#| slow'  # not a directive"),
             dict(cell_type='code', source='#| export\nv = 4')]
    nb = tmp_path/'n.ipynb'
    nb.write_text(json.dumps(dict(cells=cells, metadata={}, nbformat=4, nbformat_minor=5)))
    assert b.drop_flagged_cells(nb, b.skip_flags()) == 3
    kept = [c['source'] for c in json.loads(nb.read_text())['cells']]
    assert kept == [cells[i]['source'] for i in (0, 1, 5, 6)], kept

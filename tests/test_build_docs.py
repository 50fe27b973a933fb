"""The site build's command line (`python tools/build_docs.py --out DIR`): each bad `--out` is refused in one line before
Sphinx starts, and a build that fails leaves an earlier site as it was.

None of these runs Sphinx for real (that is tests/test_site.py, minutes long): the refusals come first, and the failed
build is Sphinx's `build_main` replaced by one that writes half a site and fails."""
import importlib.util, os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('build_docs', ROOT/'tools'/'build_docs.py')
build_docs = importlib.util.module_from_spec(spec); spec.loader.exec_module(build_docs)

def _file(t): (t/'f').write_text('x'); return t/'f'
def _full(t): (t/'full').mkdir(); (t/'full'/'mine.txt').write_text('x'); return t/'full'
def _locked(t): (t/'locked').mkdir(); (t/'locked').chmod(0o500); return t/'locked'/'site'

# (case, the --out to give, built from a temporary folder; a fragment of the one-line message)
BAD_OUT = [
    ('a file',                      _file,                       'is a file: name a folder for the site'),
    ('a folder of other files',     _full,                       'exists and is not an earlier build of the site: name another --out'),
    ('below a file',                lambda t: _file(t)/'site',   "can't be written: {t}/f is a file"),
    ('the repository',              lambda t: ROOT,              'exists and is not an earlier build'),
    ('above the repository',        lambda t: ROOT.parent,       'exists and is not an earlier build'),
    ('inside nbs/, new',            lambda t: ROOT/'nbs'/'site', 'would put the site in place of, or among, the course sources'),
    ('an unwritable folder',        _locked,                     "can't be written: {t}/locked is not writable"),
]

@pytest.mark.parametrize('case,make,msg', BAD_OUT, ids=[b[0] for b in BAD_OUT])
def test_bad_out(case, make, msg, tmp_path, monkeypatch):
    if case == 'an unwritable folder' and os.geteuid() == 0:   # root writes into any folder whatever its mode: ask as a user would
        monkeypatch.setattr(build_docs.os, 'access', lambda p, mode: Path(p) != tmp_path/'locked')
    monkeypatch.setattr(build_docs, 'stage_sources', lambda stage: pytest.fail('staged the sources before checking --out'))
    out = make(tmp_path)
    with pytest.raises(SystemExit) as e: build_docs.main(['--out', str(out)])
    text = str(e.value.code)
    assert msg.format(t=tmp_path) in text and text.startswith(f'--out {out.resolve()}') and '\n' not in text, text
    assert not (ROOT/'nbs'/'site').exists()

def test_unknown_option_is_argparse_exit_2(capsys):
    with pytest.raises(SystemExit) as e: build_docs.main(['--outdir', 'x'])
    assert e.value.code == 2 and 'unrecognized arguments: --outdir' in capsys.readouterr().err

def test_failed_build_keeps_the_earlier_site(tmp_path, monkeypatch):
    "Sphinx fails after writing half a site: the earlier build is untouched, and nothing is left beside it."
    site = tmp_path/'site'; site.mkdir()
    (site/'.buildinfo').write_text('an earlier build'); (site/'index.html').write_text('<p>old</p>')
    monkeypatch.setattr(build_docs, 'stage_sources', lambda stage: ([], [], []))
    def half_build(args):
        html = Path(args[-1]); html.mkdir(parents=True); (html/'index.html').write_text('<p>half</p>')
        return 1
    import sphinx.cmd.build
    monkeypatch.setattr(sphinx.cmd.build, 'build_main', half_build)
    with pytest.raises(SystemExit) as e: build_docs.build(site)
    assert 'sphinx-build failed (see above)' in str(e.value.code) and 'is as it was' in str(e.value.code)
    assert (site/'index.html').read_text() == '<p>old</p>' and sorted(p.name for p in tmp_path.iterdir()) == ['site']

def test_good_build_replaces_the_earlier_site_whole(tmp_path, monkeypatch):
    site = tmp_path/'site'; site.mkdir()
    (site/'.buildinfo').write_text('an earlier build'); (site/'stale.html').write_text('<p>old</p>')
    monkeypatch.setattr(build_docs, 'stage_sources', lambda stage: ([], [], []))
    def good_build(args):
        html = Path(args[-1]); html.mkdir(parents=True)
        for n in ('.buildinfo', 'index.html'): (html/n).write_text('new')
        return 0
    import sphinx.cmd.build
    monkeypatch.setattr(sphinx.cmd.build, 'build_main', good_build)
    assert build_docs.build(site) == 1
    assert sorted(p.name for p in site.iterdir()) == ['.buildinfo', 'index.html'] and sorted(p.name for p in tmp_path.iterdir()) == ['site']

"""The plain-PyTorch modules load without fastai (and the scikit-learn it pulls in): fastai is imported only inside the
functions that use it. (SciPy is not checked: numba, which `scale` and `synthetic` compile with, imports it itself.)"""
import subprocess, sys
import pytest

PLAIN = ['fast', 'scale', 'rank', 'recommend', 'fold_in', 'topn', 'persist', 'checks', 'synthetic', 'movielens',
         'movielens_files', 'data', 'cli']

@pytest.mark.parametrize('mod', PLAIN)
def test_imports_without_fastai(mod):
    code = f"import sys, collab_tutorial.{mod}; print(sorted(m for m in ('fastai', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == '[]', f"import collab_tutorial.{mod} loaded {out}: import them inside the functions that need them"

def test_teaching_modules_still_use_fastai():
    "The chapter's own modules keep their fastai imports at the top, where the reader sees them (the check above can fail)."
    code = "import sys, collab_tutorial.interpret; print('fastai' in sys.modules)"
    assert subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip() == 'True'

def test_help_shows_parameter_comments():
    "help() reads the comment after each parameter; the docstring itself stays the one line that show_doc prints."
    import pydoc
    from collab_tutorial.fast import fit_mf
    from collab_tutorial.checks import ParamDoc
    doc = pydoc.render_doc(fit_mf)
    assert 'rows of the user tables (`#na#` included)' in doc and 'Parameters' in doc
    assert isinstance(fit_mf.__doc__, ParamDoc) and '\n' not in fit_mf.__doc__

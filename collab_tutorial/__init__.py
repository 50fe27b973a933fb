__version__ = "0.1.0"

# `help()` on a function of the package shows its parameter comments: as each module `collab_tutorial.X` is imported,
# `checks.document_params` gives its public functions a `ParamDoc`, a docstring whose parameter section is parsed
# only when `help()` asks (nbs/internals/00_checks). nbdev_export rewrites only the __version__ line of this file.
import sys as _sys
from importlib.machinery import PathFinder as _PathFinder

class _ParamDocFinder:
    "Finds the package's modules as usual; after each one runs, documents the parameters of its public functions."
    @staticmethod
    def find_spec(name, path=None, target=None):
        if not name.startswith(__name__ + '.') or name.count('.') != 1: return None
        spec = _PathFinder.find_spec(name, path)
        if spec is None or not hasattr(spec.loader, 'exec_module'): return spec
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            from collab_tutorial.checks import document_params
            document_params(vars(module))
        spec.loader.exec_module = exec_module
        return spec

if not any(getattr(f, '__name__', '') == '_ParamDocFinder' for f in _sys.meta_path): _sys.meta_path.insert(0, _ParamDocFinder)

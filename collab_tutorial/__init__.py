__version__ = "0.1.0"

# The names a user of the library reaches for first, importable from the top: `from collab_tutorial import Recommender`.
# Each is imported on first use (PEP 562), so `import collab_tutorial` itself loads neither torch nor fastai.
# nbdev_export rewrites only the __version__ line of this file.
_LAZY = {'Recommender': 'collab_tutorial.recommender', 'load_interactions': 'collab_tutorial.interactions'}

def __getattr__(name: str):
    "The top-level name `name`, imported from its module on first use."
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'collab_tutorial' has no attribute {name!r}")

def __dir__(): return sorted([*globals(), *_LAZY])

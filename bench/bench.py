"""Benchmark: train the book's collaborative-filtering model on MovieLens 100K in several ways and compare.

Run from the repository root, after `pip install -e ".[dev,bench]"`:

    python bench/bench.py --quick       # skips the slow peers and the 10M-rating scaling run; writes into bench/out/
    python bench/bench.py               # the full run: fastai (stock, collab_dls, fast DataLoaders), fit_mf, surprise
    python bench/bench.py --out bench   # the full run, replacing the committed bench/results.md and bench/results.png
    python bench/bench.py --help

It prints a report and the folder it wrote `results.md` and `results.png` into: `bench/out/` (ignored by git)
unless `--out` names another. The code lives in `collab_tutorial.benchmark` (see nbs/17_benchmark.ipynb).
"""
import os, sys
from pathlib import Path
from collab_tutorial.benchmark import bench_main

if __name__ == '__main__':
    here = Path(__file__).resolve().parent
    try: out = os.path.relpath(here/'out')
    except ValueError: out = here/'out'   # another drive on Windows
    sys.exit(bench_main(sys.argv[1:], out=out, prog='bench/bench.py'))

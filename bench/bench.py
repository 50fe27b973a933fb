"""Benchmark: train the book's collaborative-filtering model on MovieLens 100K in several ways and compare.

Run from anywhere, after `pip install -e ".[dev,bench]"`:

    python bench/bench.py            # full run: fastai (stock, collab_dls, fast DataLoaders), fit_mf, surprise SVD/SVDpp
    python bench/bench.py --quick    # skips the slow peers and the 10M-rating scaling run
    python bench/bench.py --help

It prints a report and writes `results.md` and `results.png` next to this script (or into `--out`).
The code lives in `collab_tutorial.fast` (see nbs/08_fast.ipynb): `bench_main`, `run_bench`, `bench_report`.
"""
import sys
from pathlib import Path
from collab_tutorial.fast import bench_main

if __name__ == '__main__':
    bench_main(sys.argv[1:], out=Path(__file__).resolve().parent)

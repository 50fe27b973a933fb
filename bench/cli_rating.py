"""`collab_tutorial train --ratings` on a 25-million-row CSV of ratings with string ids, end to end: time and memory.

Run from the repository root, with nothing else running:

    python bench/cli_rating.py               # 25,000,000 rows
    python bench/cli_rating.py 2000000       # a smaller file, to try it out

The file (`user,movie,rating`, ids such as `u123` and `i456`, half-star ratings; MovieLens 25M's table sizes, skewed
like MovieLens, no repeated pair) is written by `bench/load_interactions.write_csv` to a temporary folder outside the
repository. The command `train --ratings FILE --rating-col rating` runs in a child process (the rating objective at
its defaults for that size: fit_sgd, 10 epochs, 50 factors, all cores; 20% of the rows held out); its wall time
counts everything (imports, parse, checks, encoding, training, validation, writing the model file) and its peak
memory is the child's `ru_maxrss`. Then `recommend --user u42` reads the model file in a fresh process.
Results: bench/results.md, section "train --ratings with ratings at MovieLens 25M's size".
"""
from __future__ import annotations
import os, resource, subprocess, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from load_interactions import write_csv

CMD = [sys.executable, '-c', 'import sys; from collab_tutorial.cli import main; sys.exit(main(sys.argv[1:]))']

def run(args: list[str]) -> tuple[int, float, float, str]:
    "Exit status, wall seconds, peak MB of the largest child so far, and its output."
    t = time.perf_counter()
    r = subprocess.run(CMD + args, capture_output=True, text=True)
    return r.returncode, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.stdout + r.stderr

if __name__ == '__main__':
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 25_000_000
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t = time.perf_counter(); info = write_csv(rows, d/'ratings.csv')
        print(f"wrote {info['rows']:,} rows ({info['users']:,} users, {info['items']:,} items, {info['mb']:.0f} MiB) "
              f"in {time.perf_counter() - t:.1f} s")
        load0 = os.getloadavg()[0]
        rc, secs, mb, out = run(['train', '--ratings', str(d/'ratings.csv'), '--rating-col', 'rating', '--out', str(d/'m.safetensors')])
        print(out)
        print(f"rc {rc}: {secs:.1f} s end to end, peak {mb:,.0f} MB; load average {load0:.2f} at the start, "
              f"{os.getloadavg()[0]:.2f} at the end; model file {(d/'m.safetensors').stat().st_size / 2**20:,.1f} MiB"
              if rc == 0 else f"rc {rc} after {secs:.1f} s")
        if rc == 0:
            rc, secs, _, out = run(['recommend', '--user', 'u42', '--model-path', str(d/'m.safetensors')])
            print(out); print(f"rc {rc}: recommend in {secs:.1f} s")

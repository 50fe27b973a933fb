"""`collab_tutorial train --ratings` on a file of interactions at MovieLens 1M's shape: time, memory, and the refusal of
a file too large for the ranking model.

Run from the repository root:

    python bench/cli_file.py              # writes the CSV to a temporary folder, trains, prints a markdown section

It writes 1,000,000 distinct (customer, sku) rows with string ids (6,040 customers x 3,706 skus, popularity skewed
as in ML-1M), runs the command `train --ratings FILE --user-col customer --item-col sku --no-rating` (the ranking
objective at fit_rank's defaults: 30 epochs, 512 factors) in a child process, and reports its wall time and peak
memory (`ru_maxrss` of the child) with the load average beside them. Then a file with 20,000 customers x 12,000 skus
(240M cells, over `MAX_CELLS`) shows the refusal. Results: bench/results.md, section "train --ratings".
"""
from __future__ import annotations
import os, resource, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

CMD = [sys.executable, '-c', 'import sys; from collab_tutorial.cli import main; sys.exit(main(sys.argv[1:]))']

def write_interactions(path: Path, n_rows: int, n_users: int, n_items: int, seed: int = 0) -> Path:
    "`n_rows` distinct (customer, sku) pairs with string ids, users and items drawn with skewed popularity."
    rng = np.random.default_rng(seed)
    pu, pi = 1 / np.arange(1, n_users + 1) ** 0.5, 1 / np.arange(1, n_items + 1) ** 0.9
    keys = np.zeros(0, np.int64)
    while len(keys) < n_rows:   # draw more pairs until there are enough distinct ones
        m = 2 * (n_rows - len(keys))
        new = rng.choice(n_users, m, p=pu / pu.sum()) * n_items + rng.choice(n_items, m, p=pi / pi.sum())
        keys = np.concatenate([keys, new[~np.isin(new, keys)]])
        keys = keys[np.sort(np.unique(keys, return_index=True)[1])]
    keys = rng.permutation(keys[:n_rows])
    u, i = np.divmod(keys, n_items)
    with open(path, 'w') as f:
        f.write('customer,sku\n')
        f.writelines(f'cust-{a:05d},sku-{b:05d}\n' for a, b in zip(u, i))
    return path

def run(args: list[str]) -> tuple[int, float, float, str]:
    "Exit status, wall seconds, peak MB of the child and its output."
    t = time.perf_counter()
    r = subprocess.run(CMD + args, capture_output=True, text=True)
    secs = time.perf_counter() - t
    return r.returncode, secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, r.stdout + r.stderr

if __name__ == '__main__':
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t = time.perf_counter(); f = write_interactions(d/'shop.csv', 1_000_000, 6_040, 3_706)
        print(f"wrote {f.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s")
        load0 = os.getloadavg()[0]
        rc, secs, mb, out = run(['train', '--ratings', str(f), '--user-col', 'customer', '--item-col', 'sku', '--no-rating',
                                 '--out', str(d/'m.safetensors')])
        print(out); print(f"rc {rc}: {secs:.1f} s end to end, peak {mb:,.0f} MB; load average {load0:.2f} at the start, "
                              f"{os.getloadavg()[0]:.2f} at the end")
        t = time.perf_counter(); rc, secs, _, out = run(['recommend', '--user', 'cust-00042', '--model-path', str(d/'m.safetensors')])
        print(out); print(f"rc {rc}: recommend in {secs:.1f} s")
        big = write_interactions(d/'big.csv', 1_000_000, 20_000, 12_000, seed=1)
        rc, secs, _, out = run(['train', '--ratings', str(big), '--user-col', 'customer', '--item-col', 'sku', '--no-rating',
                                '--out', str(d/'big.safetensors')])
        print(out); print(f"rc {rc} after {secs:.1f} s; model file written: {(d/'big.safetensors').exists()}")

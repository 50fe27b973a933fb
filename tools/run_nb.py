"""Run course notebooks top to bottom and keep their outputs, as committed in `nbs/`.

Usage: `python tools/run_nb.py nbs/02_dataloaders.ipynb [more notebooks]`

Each notebook is executed in place with one PyTorch thread (`OMP_NUM_THREADS=1`, as CI runs them), then:
- the kernel's file prefix on warnings (`/tmp/ipykernel_1234/5678.py:3: `) is cut, a library's path is written
  from its package folder on (`fastai/torch_core.py:154`, not the full path to `site-packages/`), and the home
  folder in any output is written as `~`, so that no output says where the notebook ran;
- ipywidgets' saved state (the notebook's `widgets` metadata and a widget's view output) is dropped: a widget
  only works with a running kernel, and the saved copy would only show "loading widget" where it is read;
- `nbdev_clean` normalises the notebook's metadata.
"""
import json, os, re, subprocess, sys
from pathlib import Path

KERNEL_PREFIX = re.compile(r'/tmp/ipykernel_\d+/\d+\.py:\d+: ')
SITE_PACKAGES = re.compile(r'/[^\s\'"]*/site-packages/')

def scrub(text: str) -> str:
    "`text` without kernel file prefixes or the folders above `site-packages/`, and with the home folder written as `~`."
    return SITE_PACKAGES.sub('', KERNEL_PREFIX.sub('', text)).replace(str(Path.home()) + '/', '~/')

def scrub_notebook(fn: Path):
    nb = json.loads(fn.read_text(encoding='utf-8'))
    nb['metadata'].pop('widgets', None)
    WIDGET = 'application/vnd.jupyter.widget-view+json'
    for c in nb['cells']:
        if 'outputs' in c: c['outputs'] = [o for o in c['outputs'] if WIDGET not in o.get('data', {})]
        for o in c.get('outputs', []):
            if 'text' in o: o['text'] = [scrub(t) for t in o['text']] if isinstance(o['text'], list) else scrub(o['text'])
            for k, v in o.get('data', {}).items():
                if k.startswith('text/'): o['data'][k] = [scrub(t) for t in v] if isinstance(v, list) else scrub(v)
    fn.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')

def run(fn: Path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    subprocess.run([sys.executable, '-m', 'jupyter', 'nbconvert', '--to', 'notebook', '--execute', '--inplace',
                    '--ExecutePreprocessor.timeout=1800', fn.name], cwd=fn.parent, env=env, check=True)
    scrub_notebook(fn)
    subprocess.run(['nbdev_clean', '--fname', str(fn)], check=True)

if __name__ == '__main__':
    for a in sys.argv[1:]: run(Path(a).resolve())

"""Regenerate README.md from nbs/index.ipynb (nbdev_readme does this through Quarto, which is not available here).

Usage: `python tools/sync_readme.py` writes README.md; `python tools/sync_readme.py --check` only says whether it
is up to date (exit status 1 if not).
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("<!-- Generated from nbs/index.ipynb by tools/sync_readme.py: edit the notebook, then run "
          "`python tools/sync_readme.py`. -->\n")

def _text(x) -> str: return ''.join(x) if isinstance(x, list) else (x or '')

def _links(md: str) -> str:
    "Point links written relative to nbs/ (notebooks, `../` files) at their place from the repository root."
    md = re.sub(r'\]\((?![a-z]+:|/|#|nbs/|\.\./)([^)]+\.ipynb)\)', r'](nbs/\1)', md)
    return re.sub(r'\]\(\.\./', '](', md)  # `../x` from nbs/ is `x` from the repository root

def _code(cell) -> str:
    "A code cell as a python block plus its text output; '' for hidden cells."
    lines = _text(cell['source']).splitlines()
    dirs = [l for l in lines if l.startswith('#|')]
    if any(re.match(r'#\|\s*(hide|export|exporti|exports|default_exp)\b', l) for l in dirs): return ''
    code = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
    out = []
    for o in cell.get('outputs', []):
        if o.get('output_type') == 'stream' and o.get('name') == 'stdout': out.append(_text(o['text']))
        elif 'data' in o and 'text/plain' in o['data']: out.append(_text(o['data']['text/plain']))
    block = f"```python\n{code}\n```\n" if code else ''
    if out: block += "\n```\n" + ''.join(out).rstrip('\n') + "\n```\n"
    return block

def render(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    "README.md's text, built from the markdown and (visible) code cells of `nb_path`."
    cells = json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells']
    parts = [(_links(_text(c['source'])).strip() + '\n') if c['cell_type'] == 'markdown' else _code(c) for c in cells]
    return HEADER + '\n' + '\n'.join(p for p in parts if p.strip())

def main(argv=sys.argv[1:]) -> int:
    readme, text = ROOT/'README.md', render()
    if '--check' in argv:
        ok = readme.exists() and readme.read_text(encoding='utf-8') == text
        print('README.md is up to date' if ok else 'README.md differs from nbs/index.ipynb: run python tools/sync_readme.py')
        return 0 if ok else 1
    readme.write_text(text, encoding='utf-8')
    return 0

if __name__ == '__main__': sys.exit(main())

"environment.yml and settings.ini must name the same pinned packages with the same pins, each pin explained."
import re, shlex
from configparser import ConfigParser
import pytest, yaml
from packaging.requirements import Requirement, InvalidRequirement
from packaging.specifiers import SpecifierSet
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope='module')
def settings():
    "The [DEFAULT] section of settings.ini (configparser drops the comment lines)."
    cfg = ConfigParser(delimiters=['='])
    cfg.read(ROOT/'settings.ini', encoding='utf-8')
    return cfg['DEFAULT']

# conda-forge names of packages that pip knows under another name
CONDA_TO_PIP = {'pytorch': 'torch', 'pytorch-cpu': 'torch'}
CAPS = ('==', '===', '<', '<=', '~=')  # operators that keep newer releases out: what makes a requirement a *pin*

def norm(name): return re.sub(r'[-_.]+', '-', name).lower()

def is_pin(spec: SpecifierSet) -> bool:
    "A pin caps the version (exact, `<`, `<=`, `~=`); a bare floor like `>=2.0` is not a pin."
    return any(s.operator in CAPS for s in spec)

def settings_reqs(settings) -> dict:
    "name -> SpecifierSet for every requirement in settings.ini's requirements and dev_requirements."
    reqs = shlex.split(settings.get('requirements', '')) + shlex.split(settings.get('dev_requirements', ''))
    return {norm(r.name): r.specifier for r in map(Requirement, reqs)}

def env_reqs() -> tuple[dict, str | None]:
    "name -> SpecifierSet for the conda and pip dependencies of environment.yml, and its python version."
    env = yaml.safe_load((ROOT/'environment.yml').read_text())
    out, python = {}, None
    for dep in env['dependencies']:
        if isinstance(dep, dict):
            for line in dep['pip']:
                if line.startswith('-'): continue  # `-e ".[dev]"` and other pip options
                r = Requirement(line); out[norm(r.name)] = r.specifier
        elif dep.startswith('python='): python = dep.split('=', 1)[1]
        else:
            r = Requirement(dep.replace('::', '-'))  # conda specs like `pytorch-cpu>=2.0` read as PEP 508
            out[norm(CONDA_TO_PIP.get(r.name, r.name))] = r.specifier
    return out, python

def test_same_pins(settings):
    s, (e, _) = settings_reqs(settings), env_reqs()
    s_pins = {k: v for k, v in s.items() if is_pin(v)}
    e_pins = {k: v for k, v in e.items() if is_pin(v)}
    assert s_pins, "settings.ini should pin the version set from course-facts"
    assert e_pins == s_pins, f"pins differ: settings.ini {s_pins} vs environment.yml {e_pins}"

def test_every_versioned_env_package_matches_settings(settings):
    "A floor such as pytorch-cpu>=2.0 must also be the one settings.ini asks for."
    s, (e, _) = settings_reqs(settings), env_reqs()
    for name, spec in e.items():
        if not spec: continue
        assert name in s, f"environment.yml constrains {name} ({spec}) but settings.ini does not list it"
        assert spec == s[name], f"{name}: environment.yml says {spec}, settings.ini says {s[name]}"

def test_env_python_meets_min_python(settings):
    _, python = env_reqs()
    assert python, "environment.yml should pin python"
    as_tuple = lambda v: tuple(int(x) for x in v.split('.')[:2])
    assert as_tuple(python) >= as_tuple(settings['min_python'])

def test_env_installs_project_with_dev_extra():
    env = yaml.safe_load((ROOT/'environment.yml').read_text())
    pip = next(d['pip'] for d in env['dependencies'] if isinstance(d, dict))
    assert any(l.replace('"', '').replace("'", '').replace(' ', '') == '-e.[dev]' for l in pip), pip
    assert 'conda-forge' in env['channels']

def test_pin_lines_in_settings_have_a_comment_above():
    "Read the raw file: configparser drops comments, so they can only be checked here."
    lines = (ROOT/'settings.ini').read_text(encoding='utf-8').splitlines()
    checked = 0
    for i, line in enumerate(lines):
        s = line.strip()
        # requirements sit on indented continuation lines; skip keys, blank lines and the comments themselves
        if not line[:1].isspace() or not s or s.startswith('#'): continue
        try: spec = Requirement(s).specifier
        except InvalidRequirement: continue
        if is_pin(spec):
            checked += 1
            above = lines[i-1].strip()
            assert above.startswith('#') and len(above) > 5, \
                f"settings.ini line {i+1} `{s}` is a pin without a comment line above it saying why"
    assert checked >= 5, "expected the five pins of course-facts (nbdev, fastcore, execnb, fastai, plum-dispatch)"

def test_pin_lines_in_environment_have_a_comment():
    "Every versioned line of environment.yml explains itself in a comment at its end."
    for i, line in enumerate((ROOT/'environment.yml').read_text().splitlines()):
        m = re.match(r'\s*-\s+([^#]*?)\s*(?:#\s*(.*))?$', line)
        if not m or m.group(1).startswith('-'): continue  # not a list item, or a pip option like -e
        if re.search(r'[<>=~]', m.group(1)):
            assert m.group(2) and len(m.group(2)) > 5, f"environment.yml line {i+1} `{m.group(1)}` has no comment saying why"

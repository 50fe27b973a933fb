"""Sphinx configuration of the course site; `python tools/build_docs.py` stages the sources and builds with it.

The sources (the README as the landing page, the notebooks, the API pages) are written by the build script to a
temporary folder; this file only says how to render them. Everything a page loads is served from the built
folder: the theme's CSS, scripts and icons ship with sphinx-book-theme, MathJax with sphinx-mathjax-offline,
and the search index is Sphinx's own `searchindex.js`.
"""
import importlib.util, shutil
from configparser import ConfigParser
from pathlib import Path

_cfg = ConfigParser(delimiters=['='])
_cfg.read(Path(__file__).resolve().parents[1]/'settings.ini', encoding='utf-8')
_cfg = _cfg['DEFAULT']

project = _cfg['lib_name']
author = _cfg['author']
copyright = _cfg['copyright']
release = version = _cfg['version']

extensions = ['myst_nb']

# the notebooks are shown as committed: outputs kept, nothing re-executed
nb_execution_mode = 'off'
# show_doc outputs are markdown with `$...$` and `{...}` attributes, as the notebooks' own markdown
nb_render_markdown_format = 'myst'
myst_enable_extensions = ['dollarmath', 'attrs_inline']
myst_heading_anchors = 3  # `#some-heading` links, as on GitHub
myst_dmath_double_inline = True  # `$$...$$` inside a paragraph is display math too

html_theme = 'sphinx_book_theme'
html_title = project
html_favicon = '_static/favicon.svg'  # without one, browsers ask the server for /favicon.ico and log a 404
html_static_path = ['_static']
html_css_files = ['site.css']
html_copy_source = False  # the notebooks themselves are copied next to their pages by the build script
html_show_sourcelink = False
html_last_updated_fmt = None
html_context = {'default_mode': 'light'}  # without it the theme logs a console error on first visit
html_theme_options = {
    'repository_url': _cfg['git_url'],
    'use_repository_button': True,
    'use_download_button': False,  # it would offer the staged copy; each page links to its notebook instead
    'home_page_in_toc': True,
    'show_navbar_depth': 1,
    'show_toc_level': 2,
}

suppress_warnings = ['myst.header']  # notebooks may skip heading levels

# MathJax 3 from the built folder, not a CDN. The files come from the sphinx-mathjax-offline package; its own
# extension does this copy too, but does not declare itself safe for parallel reading, which makes the build serial.
mathjax_path = 'mathjax/tex-chtml.js'
_MATHJAX = Path(importlib.util.find_spec('sphinx-mathjax-offline').origin).parent/'static'/'mathjax'


def _copy_mathjax(app, exc):
    if exc is None: shutil.copytree(_MATHJAX, Path(app.outdir)/'_static'/'mathjax', dirs_exist_ok=True)


def setup(app): app.connect('build-finished', _copy_mathjax)

"""What every examples/make_<name>.py shares: cell constructors and writing <name>.ipynb here.

The example notebooks are generated from these scripts (run one with
``python examples/make_<name>.py``) so their text can be reviewed as code.
"""

from __future__ import annotations

import pathlib

import nbformat

md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell


def write_notebook(cells: list[nbformat.NotebookNode], name: str) -> pathlib.Path:
    """Write ``cells`` as examples/<name>.ipynb with the python3 kernel named; return its path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = cells
    path = pathlib.Path(__file__).resolve().parent / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path

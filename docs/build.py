"""Build the documentation site into docs/_build (or --out): one static, offline site.

- every docs/*.md page rendered to HTML (links to .md become .html);
- every examples/*.ipynb executed top to bottom (nbclient, widget state stored) and converted with
  dlwidgets' nbconvert exporter, so the pages show live widgets from saved state with no kernel;
- docs/img/ (screenshots taken by the browser tests) copied beside the pages.

Run: python docs/build.py [--out DIR] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import html
import pathlib
import re
import shutil

import mistune
import nbformat
from nbclient import NotebookClient

from dlwidgets.nbconvert import DLWidgetsHTMLExporter

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
EXAMPLES = ROOT / "examples"

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · dlwidgets</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933;
  max-width: 900px; margin: 2rem auto; padding: 0 1rem; line-height: 1.55; }}
nav {{ font-size: .9rem; margin-bottom: 1.5rem; }} nav a {{ margin-right: .8rem; }}
pre {{ background: #f5f7fa; padding: .8rem; overflow-x: auto; border-radius: 6px; }}
code {{ font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .92em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #d9e2ec; padding: .3rem .6rem; }}
img {{ max-width: 100%; border: 1px solid #d9e2ec; border-radius: 6px; }}
a {{ color: #2f6fdf; }}
</style></head>
<body><nav><a href="index.html">dlwidgets docs</a>{examples}</nav>
{body}
</body></html>
"""


def _examples() -> list[pathlib.Path]:
    return sorted(EXAMPLES.glob("*.ipynb"))


def _nav() -> str:
    links = "".join(f'<a href="examples/{p.stem}.html">{html.escape(p.stem)}</a>'
                    for p in _examples())
    return f" · examples: {links}" if links else ""


def render_markdown(source: pathlib.Path, out_dir: pathlib.Path) -> pathlib.Path:
    """One docs page: markdown to HTML, with .md links pointing at the built .html pages."""
    text = source.read_text(encoding="utf-8")
    body = str(mistune.html(text))
    body = re.sub(r'href="([^":#]+)\.md(#[^"]*)?"', r'href="\1.html\2"', body)
    body = body.replace('href="../examples/', 'href="examples/').replace(
        '.ipynb"', '.html"')
    title_match = re.search(r"^#\s+(.+)$", text, re.M)
    title = title_match.group(1) if title_match else source.stem
    target = out_dir / f"{source.stem}.html"
    target.write_text(PAGE.format(title=html.escape(title), body=body, examples=_nav()),
                      encoding="utf-8")
    return target


def build_example(notebook: pathlib.Path, out_dir: pathlib.Path, timeout: int = 600
                  ) -> tuple[pathlib.Path, int]:
    """Execute an example notebook and write it as an offline page with live widgets.

    Returns the page and the number of dlwidgets widgets mounted on it.
    """
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(notebook.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    if errors:
        raise RuntimeError(f"{notebook.name}: {errors[0]['ename']}: {errors[0]['evalue']}")
    body, _ = DLWidgetsHTMLExporter().from_notebook_node(nb)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{notebook.stem}.html"
    target.write_text(body, encoding="utf-8")
    return target, body.count('class="dlw-nb-view"')


def build(out_dir: pathlib.Path, only: list[str] | None = None, examples: bool = True) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for page in sorted(DOCS.glob("*.md")):
        render_markdown(page, out_dir)
    if (DOCS / "img").is_dir():
        shutil.copytree(DOCS / "img", out_dir / "img", dirs_exist_ok=True)
    if not examples:
        return
    for nb in _examples():
        if only and nb.stem not in only:
            continue
        page, count = build_example(nb, out_dir / "examples")
        print(f"{page.relative_to(out_dir)}: {count} live widget(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DOCS / "_build")
    parser.add_argument("--only", nargs="*", help="example notebook names to build")
    parser.add_argument("--no-examples", action="store_true")
    args = parser.parse_args()
    build(args.out, args.only, examples=not args.no_examples)
    print(f"docs written to {args.out}")


if __name__ == "__main__":
    main()

"""A small document model (headings, paragraphs, tables) rendered to Markdown and to HTML.

Reports are written twice from the same content: Markdown for people reading the repository and
self-contained HTML that the Snakemake report (``snakemake --report``) displays inline.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from stan.io import atomic_path


@dataclass
class Document:
    title: str
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(("heading", text))

    def paragraph(self, text: str) -> None:
        self.blocks.append(("paragraph", text))

    def bullets(self, items: list[str]) -> None:
        self.blocks.append(("bullets", list(items)))

    def table(self, frame: pd.DataFrame) -> None:
        """A table; every cell is shown as its string (format numbers before adding them)."""
        self.blocks.append(("table", frame.astype(str)))

    def to_markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for kind, content in self.blocks:
            if kind == "heading":
                lines += [f"## {content}", ""]
            elif kind == "paragraph":
                lines += [str(content), ""]
            elif kind == "bullets":
                lines += [f"- {item}" for item in content] + [""]
            else:
                lines += [_markdown_table(content), ""]
        return "\n".join(lines)

    def to_html(self) -> str:
        parts = [
            "<!DOCTYPE html>",
            '<html><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        for kind, content in self.blocks:
            if kind == "heading":
                parts.append(f"<h2>{html.escape(content)}</h2>")
            elif kind == "paragraph":
                parts.append(f"<p>{html.escape(str(content))}</p>")
            elif kind == "bullets":
                items = "".join(f"<li>{html.escape(item)}</li>" for item in content)
                parts.append(f"<ul>{items}</ul>")
            else:
                parts.append(content.to_html(index=False, border=0, escape=True))
        parts.append("</body></html>")
        return "\n".join(parts)

    def write(self, md_path: str | Path | None = None, html_path: str | Path | None = None):
        """Write the Markdown and/or HTML renderings atomically."""
        for path, text in ((md_path, self.to_markdown), (html_path, self.to_html)):
            if path is not None:
                with atomic_path(path) as tmp:
                    Path(tmp).write_text(text() + "\n", encoding="utf-8")


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


_CSS = (
    "body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:0.2em 0.6em;text-align:right}"
    "th{background:#eee}td:first-child,td:nth-child(2){text-align:left}"
)

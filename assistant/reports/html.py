"""A Document as one self-contained HTML page (inline CSS, no script, every text escaped)."""

from __future__ import annotations

from html import escape

from assistant.reports.model import Block, Document, KeyValues, Paragraph, Section

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60em;margin:2em auto;
padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
h3{font-size:1.05em}.subtitle{color:#555;margin-top:0}
table{border-collapse:collapse;margin:.6em 0;width:100%}
th,td{text-align:left;vertical-align:top;padding:.25em .6em;border-bottom:1px solid #eee}
th{width:34%;font-weight:600;color:#333}
.tone-good{color:#0a6b2d;font-weight:600}.tone-bad{color:#b00020;font-weight:600}
.tone-warning{color:#8a5300;font-weight:600}footer{margin-top:2em;color:#666;font-size:.85em}
"""


def render_html(document: Document) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(document.language)}"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{escape(document.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(document.title)}</h1>",
    ]
    if document.subtitle:
        parts.append(f'<p class="subtitle">{escape(document.subtitle)}</p>')
    for block in document.blocks:
        parts.extend(_block(block, 2))
    if document.footer:
        parts.append(f"<footer>{escape(document.footer)}</footer>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _block(block: Block, depth: int) -> list[str]:
    if isinstance(block, Paragraph):
        return [f'<p class="tone-{block.tone.value}">{escape(block.text)}</p>']
    if isinstance(block, KeyValues):
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in block.rows)
        return [f"<table>{rows}</table>"]
    assert isinstance(block, Section)
    level = min(depth, 6)
    out = [f"<section><h{level}>{escape(block.title)}</h{level}>"]
    for child in block.blocks:
        out.extend(_block(child, depth + 1))
    out.append("</section>")
    return out

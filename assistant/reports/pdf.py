"""A Document as a PDF (reportlab's platypus, standard Helvetica).

reportlab is the PDF library: BSD-licensed, pure Python with an optional C accelerator, bundled
by PyInstaller without hooks, and its standard fonts need no font file. Those fonts are encoded
in WinAnsi, which covers French completely (é, à, ç, œ, Œ, €, « », …); a character outside it
(a Cyrillic or Greek name in a certificate) is written as its closest WinAnsi form (accents
removed) or "?", never dropped silently into a black box. The file is written atomically.
"""

from __future__ import annotations

import io
import unicodedata
from xml.sax.saxutils import escape

from assistant.reports.model import Block, Document, KeyValues, Paragraph, Section, Tone

_TONE_COLOURS = {Tone.NORMAL: "#1b1b1b", Tone.GOOD: "#0a6b2d", Tone.WARNING: "#8a5300", Tone.BAD: "#b00020"}


def winansi(text: str) -> str:
    """`text` restricted to what the standard PDF fonts can show (WinAnsi ≈ cp1252)."""
    out: list[str] = []
    for char in text:
        if _encodable(char):
            out.append(char)
            continue
        decomposed = "".join(
            c for c in unicodedata.normalize("NFKD", char) if _encodable(c) and not unicodedata.combining(c)
        )
        out.append(decomposed or "?")
    return "".join(out)


def _encodable(char: str) -> bool:
    if char in "\t\n":
        return True
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return False
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _markup(text: str) -> str:
    """Plain text as platypus markup: escaped, line breaks kept."""
    return escape(winansi(text)).replace("\n", "<br/>")


def render_pdf(document: Document) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = ParagraphStyle("amp-body", parent=styles["BodyText"], fontName="Helvetica", fontSize=10, leading=13)
    cell = ParagraphStyle("amp-cell", parent=body, fontSize=9, leading=11.5)
    key_cell = ParagraphStyle("amp-key", parent=cell, fontName="Helvetica-Bold")
    headings = {
        2: ParagraphStyle("amp-h2", parent=styles["Heading2"], fontName="Helvetica-Bold", fontSize=13),
        3: ParagraphStyle("amp-h3", parent=styles["Heading3"], fontName="Helvetica-Bold", fontSize=11),
        4: ParagraphStyle("amp-h4", parent=styles["Heading4"], fontName="Helvetica-Bold", fontSize=10),
    }
    title_style = ParagraphStyle("amp-title", parent=styles["Title"], fontName="Helvetica-Bold", fontSize=17)
    subtitle_style = ParagraphStyle("amp-subtitle", parent=body, textColor=colors.HexColor("#555555"))
    width = A4[0] - 36 * mm

    def flow(block: Block, depth: int) -> list[object]:
        if isinstance(block, Paragraph):
            style = body
            if block.tone is not Tone.NORMAL:
                style = ParagraphStyle(
                    f"amp-{block.tone.value}",
                    parent=body,
                    fontName="Helvetica-Bold",
                    textColor=colors.HexColor(_TONE_COLOURS[block.tone]),
                )
            return [RLParagraph(_markup(block.text), style)]
        if isinstance(block, KeyValues):
            if not block.rows:
                return []
            data = [[RLParagraph(_markup(k), key_cell), RLParagraph(_markup(v), cell)] for k, v in block.rows]
            table = Table(data, colWidths=[width * 0.34, width * 0.66], hAlign="LEFT")
            table.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
                        ("TOPPADDING", (0, 0), (-1, -1), 2),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ]
                )
            )
            return [table, Spacer(1, 4)]
        assert isinstance(block, Section)
        out: list[object] = [RLParagraph(_markup(block.title), headings[min(depth, 4)])]
        for child in block.blocks:
            out.extend(flow(child, depth + 1))
        return out

    story: list[object] = [RLParagraph(_markup(document.title), title_style)]
    if document.subtitle:
        story.append(RLParagraph(_markup(document.subtitle), subtitle_style))
    story.append(Spacer(1, 6))
    for block in document.blocks:
        story.extend(flow(block, 2))
    footer = winansi(document.footer)

    def decorate(canvas: object, doc: object) -> None:
        from reportlab.pdfgen.canvas import Canvas

        assert isinstance(canvas, Canvas)
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        if footer:
            canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{canvas.getPageNumber()}")
        canvas.restoreState()

    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=winansi(document.title),
        author="Assistant Marchés Publics",
        creator="Assistant Marchés Publics",
        lang=document.language,
    )
    template.build(story, onFirstPage=decorate, onLaterPages=decorate)  # type: ignore[arg-type]
    return buffer.getvalue()

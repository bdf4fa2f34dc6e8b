"""Typed documents (title, sections, paragraphs, key/value tables) rendered as JSON, HTML or PDF.

A feature builds a `Document` from its own typed result (a verification report, a deposit
summary) and hands it to `write_document`, which picks the rendering from the file's suffix.
The rendering modules know nothing about signatures or deposits.
"""

from assistant.reports.model import Block, Document, KeyValues, Paragraph, Section, Tone
from assistant.reports.write import render, write_document

__all__ = ["Block", "Document", "KeyValues", "Paragraph", "Section", "Tone", "render", "write_document"]

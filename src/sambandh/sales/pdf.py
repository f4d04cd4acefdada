"""The quote as a PDF, with Hindi shaped properly (conjuncts, vowel signs) by HarfBuzz.

fpdf2 lays the page out and, with text shaping on, runs every string through HarfBuzz
(uharfbuzz), so Devanagari comes out as a reader expects rather than as separate letters.
Fonts are Debian's Noto fonts (``fonts-noto-core``), found by path at run time; nothing is
downloaded and no font ships in this repository.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from sambandh.core.models import OrganisationSettings
from sambandh.core.money import format_money
from sambandh.sales.models import Quote, QuoteStatus

FONT_DIRS = (
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/opentype/noto",
    "/usr/local/share/fonts",
)
FONTS = {
    ("latin", ""): "NotoSans-Regular.ttf",
    ("latin", "B"): "NotoSans-Bold.ttf",
    ("deva", ""): "NotoSansDevanagari-Regular.ttf",
    ("deva", "B"): "NotoSansDevanagari-Bold.ttf",
}


class FontMissing(RuntimeError):
    """A font the PDF needs is not installed."""


def font_path(filename: str) -> Path:
    """Where ``filename`` is: ``SAMBANDH_FONT_DIR`` first, then Debian's Noto folders."""
    dirs = [os.environ.get("SAMBANDH_FONT_DIR", ""), *FONT_DIRS]
    for folder in dirs:
        if folder and (Path(folder) / filename).is_file():
            return Path(folder) / filename
    raise FontMissing(
        f"Font {filename} not found in {', '.join(d for d in dirs if d)}. Install Debian's "
        "fonts-noto-core package (apt-get install fonts-noto-core) or set SAMBANDH_FONT_DIR."
    )


def _money(amount: Decimal, currency: str) -> str:
    # Latin digits with Indian grouping on the document, whatever its language.
    return format_money(amount, currency, "en")


def _has_devanagari(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


def _percent(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}%"


class _QuotePDF(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        for (family, style), filename in FONTS.items():
            self.add_font(family, style, str(font_path(filename)))
        self.set_fallback_fonts(["deva"], exact_match=False)
        self.set_text_shaping(True)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(16, 16, 16)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("latin", "", 8)
        self.cell(0, 6, f"{self.page_no()}", align="C")


def quote_pdf(quote: Quote) -> bytes:
    """The quote (with its lines and their products loaded) as PDF bytes, in its language."""
    with translation.override(quote.language or "en"):
        return _render(quote)


def _render(quote: Quote) -> bytes:
    org = OrganisationSettings.get()
    deal = quote.deal
    pdf = _QuotePDF()
    pdf.set_title(f"{quote.number} r{quote.revision}")
    pdf.set_creator("Sambandh")
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("latin", "B", 18)
    pdf.cell(width / 2, 10, org.name)
    pdf.cell(width / 2, 10, _("Quote"), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("latin", "", 10)
    status = QuoteStatus(quote.status).label
    facts = [
        (_("Number"), f"{quote.number}  ({_('revision')} {quote.revision})"),
        (_("Status"), str(status)),
        (_("Issued on"), quote.issued_on.isoformat() if quote.issued_on else "—"),
        (_("Valid until"), quote.valid_until.isoformat() if quote.valid_until else "—"),
        (_("Deal"), deal.name),
    ]
    if deal.account is not None:
        facts.insert(0, (_("Customer"), deal.account.name))
    for label, value in facts:
        pdf.set_font("latin", "B", 10)
        pdf.cell(35, 6, label)
        pdf.set_font("latin", "", 10)
        pdf.cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    columns = [
        (_("Item"), 0.40, "L"),
        (_("Quantity"), 0.10, "R"),
        (_("Unit price"), 0.15, "R"),
        (_("Discount"), 0.09, "R"),
        (_("Tax"), 0.09, "R"),
        (_("Amount"), 0.17, "R"),
    ]
    pdf.set_font("latin", "B", 9)
    pdf.set_fill_color(235, 238, 243)
    for title, share, align in columns:
        pdf.cell(width * share, 8, title, border="B", align=align, fill=True)
    pdf.ln()
    pdf.set_font("latin", "", 9)
    for line in quote.lines.all():
        product = line.product
        name = line.description or (product.name_en if product else "")
        if product is not None and product.name_hi and product.name_hi not in name:
            name = f"{name}\n{product.name_hi}"
        if product is not None:
            name = f"{product.sku} · {name}"
        cells = [
            name,
            f"{Decimal(line.quantity).normalize():f}",
            _money(line.unit_price, quote.currency),
            _percent(line.discount_percent),
            _percent(line.tax_rate),
            _money(line.line_total, quote.currency),
        ]
        y = pdf.get_y()
        pdf.multi_cell(width * columns[0][1], 6, cells[0], new_x=XPos.RIGHT, new_y=YPos.TOP)
        bottom = pdf.get_y()
        x = pdf.l_margin + width * columns[0][1]
        for (_title, share, align), text in zip(columns[1:], cells[1:], strict=True):
            pdf.set_xy(x, y)
            pdf.cell(width * share, 6, text, align=align)
            x += width * share
        rows = max(1, cells[0].count("\n") + 1)
        pdf.set_xy(pdf.l_margin, max(bottom, y + 6 * rows))
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(3)

    totals = [
        (_("Subtotal"), quote.subtotal),
        (_("Discount"), -quote.discount_total if quote.discount_total else quote.discount_total),
        (_("Tax"), quote.tax_total),
        (_("Total"), quote.total),
    ]
    if quote.discount_percent:
        totals[1] = (
            f"{_('Discount')} ({_('overall')} {_percent(quote.discount_percent)})",
            -quote.discount_total,
        )
    for label, amount in totals:
        bold = label == _("Total")
        style, size = ("B" if bold else ""), (11 if bold else 10)
        # A Hindi label is set in the Devanagari font itself, not through the fallback: after
        # a fallback run in bold, fpdf2 drew the next Latin cell with the wrong glyphs.
        pdf.set_font("deva" if _has_devanagari(label) else "latin", style, size)
        pdf.cell(width * 0.74, 7, label, align="R")
        pdf.set_font("latin", style, size)
        pdf.cell(
            width * 0.26,
            7,
            _money(amount, quote.currency),
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    if quote.terms:
        pdf.ln(6)
        pdf.set_font("latin", "B", 10)
        pdf.cell(0, 6, _("Terms"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("latin", "", 9)
        pdf.multi_cell(0, 5, quote.terms)
    return bytes(pdf.output())

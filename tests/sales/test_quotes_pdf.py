"""The quote PDF: it parses, names the quote and its totals, and Hindi is shaped.

The Hindi check looks at glyphs, not at extracted text: text extraction reads the
ToUnicode map, which is just as right for unshaped letters as for shaped ones. Shaping
shows in which glyphs the PDF draws: HarfBuzz turns क्ष into one conjunct glyph and न्द
into a half form plus द, glyphs that no single character maps to. So the test shapes the
product's Hindi name with HarfBuzz against the same Noto font and requires each of those
glyphs (compared by outline) to be embedded in the PDF; unshaped output embeds only the
glyphs of the separate letters and fails.
"""

from __future__ import annotations

import io
import unicodedata
from typing import Any

import pypdf
import pytest
import uharfbuzz as hb  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from sambandh.core.models import User
from sambandh.sales.models import Quote
from sambandh.sales.pdf import font_path, quote_pdf
from sambandh.sales.selectors.catalog import quote_detail
from sambandh.sales.services.catalog import product_create
from sambandh.sales.services.quotes import quote_create_from_deal
from tests.factories import make_account
from tests.sales.catalog_setup import make_deal

pytestmark = pytest.mark.django_db

HINDI_NAME = "क्षमता हिन्दी संस्करण"
DEVANAGARI = "NotoSansDevanagari-Regular.ttf"


def _quote(owner: User) -> Quote:
    product = product_create(
        actor=owner,
        data={"sku": "CRM-PRO", "name_en": "CRM Pro", "name_hi": HINDI_NAME, "tax_rate": "18"},
    )
    deal = make_deal(
        owner,
        account=make_account(owner, name="Bharat Traders"),
        line_items=[
            {"product_id": product.pk, "quantity": "2", "unit_price": "1500.00", "tax_rate": "18"}
        ],
    )
    quote = quote_create_from_deal(actor=owner, deal=deal, data={"language": "hi"})
    return quote_detail(actor=owner, pk=quote.pk)


def _outline(font: TTFont, name: str) -> Any:
    glyph = font["glyf"][name]
    if glyph.isComposite():
        return ("composite", tuple(c.glyphName for c in glyph.components))
    coords, ends, _flags = glyph.getCoordinates(font["glyf"])
    return (tuple(coords), tuple(ends))


def _shaped_glyph_names(text: str) -> list[str]:
    path = str(font_path(DEVANAGARI))
    font = hb.Font(hb.Face(hb.Blob.from_file_path(path)))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(font, buf)
    order = TTFont(path).getGlyphOrder()
    return [order[info.codepoint] for info in buf.glyph_infos]


def _embedded_devanagari_outlines(data: bytes) -> set[Any]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    outlines: set[Any] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            font = font.get_object()
            if "Devanagari" not in str(font["/BaseFont"]):
                continue
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
            for name in embedded.getGlyphOrder():
                if name in embedded["glyf"].glyphs:
                    try:
                        outlines.add(_outline(embedded, name))
                    except KeyError:
                        continue
    return outlines


def test_the_pdf_parses_and_shows_number_customer_and_totals(admin: User) -> None:
    quote = _quote(admin)
    reader = pypdf.PdfReader(io.BytesIO(quote_pdf(quote)))
    text = unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages))
    assert quote.number in text
    assert "Bharat Traders" in text
    assert "CRM-PRO" in text
    # 2 x 1,500.00 = 3,000.00; 18% GST = 540.00; total 3,540.00.
    for amount in ("₹3,000.00", "₹540.00", "₹3,540.00"):
        assert amount in text
    assert "ग्राहक" in text  # "Customer", in the quote's language


def test_hindi_is_drawn_with_the_shaped_conjunct_glyphs(admin: User) -> None:
    data = quote_pdf(_quote(admin))
    path = str(font_path(DEVANAGARI))
    source = TTFont(path)
    cmap_glyphs = set(source.getBestCmap().values())
    shaped = _shaped_glyph_names(HINDI_NAME)
    conjuncts = [name for name in shaped if name not in cmap_glyphs]
    # The name really needs shaping: क्ष and the half forms are glyphs of their own.
    assert len(conjuncts) >= 2, shaped
    embedded = _embedded_devanagari_outlines(data)
    missing = [name for name in conjuncts if _outline(source, name) not in embedded]
    assert missing == []


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from sambandh.sales import pdf

    monkeypatch.setattr(pdf, "FONT_DIRS", ("/nonexistent",))
    monkeypatch.delenv("SAMBANDH_FONT_DIR", raising=False)
    with pytest.raises(pdf.FontMissing, match="fonts-noto-core"):
        pdf.font_path(DEVANAGARI)

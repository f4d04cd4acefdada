"""Catalogue pages: product and price book forms, a price book's prices, and editing a draft
quote's lines on its page. Records are made through the real services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sambandh.core.models import AuditEntry, User
from sambandh.sales.models import PriceBook, PriceBookEntry, Product, Quote, QuoteLine
from sambandh.sales.services.catalog import (
    price_book_create,
    price_book_entry_set,
    product_create,
)
from sambandh.sales.services.quotes import quote_create_from_deal, quote_send
from tests.sales.catalog_setup import make_deal

pytestmark = pytest.mark.django_db


def signed_in(user: User, language: str = "en") -> Client:
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    client = Client()
    client.force_login(user)
    return client


def product_form(**values: str | None) -> dict[str, str]:
    form: dict[str, str | None] = {
        "sku": "crm-pro",
        "name_en": "CRM Pro licence",
        "name_hi": "सीआरएम प्रो लाइसेंस",
        "tax_rate": "18",
        "description": "One seat, one year",
        "is_active": "on",
    }
    form.update(values)
    return {k: v for k, v in form.items() if v is not None}


@pytest.fixture
def product(admin: User) -> Product:
    return product_create(
        actor=admin,
        data={"sku": "CRM-PRO", "name_en": "CRM Pro licence", "tax_rate": "18"},
    )


# ---------------------------------------------------------------- products


def test_product_list_offers_new_and_edit_only_to_those_who_may(
    manager: User, reader: User, owner: User, product: Product
) -> None:
    html = signed_in(manager).get(reverse("sales:product_list")).content.decode()
    assert 'data-testid="new-product"' in html
    assert reverse("sales:product_edit", args=[product.pk]) in html
    assert 'data-testid="price-books"' in html
    for user in (reader, owner):
        html = signed_in(user).get(reverse("sales:product_list")).content.decode()
        assert 'data-testid="new-product"' not in html
        assert reverse("sales:product_edit", args=[product.pk]) not in html
        assert 'data-testid="price-books"' in html


def test_a_manager_creates_a_product_with_its_sku_in_capitals(manager: User) -> None:
    response = signed_in(manager).post(reverse("sales:product_create"), product_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:product_list") + "?q=CRM-PRO"
    product = Product.objects.get()
    assert (product.sku, product.name_hi, product.tax_rate, product.is_active) == (
        "CRM-PRO",
        "सीआरएम प्रो लाइसेंस",
        Decimal("18.00"),
        True,
    )
    assert product.created_by == manager


def test_a_duplicate_sku_in_another_case_is_refused_next_to_the_field(
    manager: User, product: Product
) -> None:
    before = AuditEntry.objects.count()
    response = signed_in(manager).post(
        reverse("sales:product_create"), product_form(sku="Crm-Pro", name_en="Another")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="errors-sku"' in html
    assert "A product with this SKU already exists." in html
    assert 'value="Another"' in html  # what was typed is kept
    assert Product.objects.count() == 1
    assert AuditEntry.objects.count() == before


def test_bad_input_shows_every_error_and_writes_nothing(manager: User) -> None:
    response = signed_in(manager).post(
        reverse("sales:product_create"),
        product_form(sku="has space", name_en="", tax_rate="150"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A SKU has no spaces." in html
    assert 'data-testid="errors-name_en"' in html
    assert "Enter a number of at most 100." in html
    assert Product.objects.count() == 0


def test_roles_that_may_not_create_products_get_403_and_nothing_is_written(
    reader: User, owner: User
) -> None:
    for user in (reader, owner):
        client = signed_in(user)
        assert client.get(reverse("sales:product_create")).status_code == 403
        assert client.post(reverse("sales:product_create"), product_form()).status_code == 403
    assert Product.objects.count() == 0


def test_unticking_active_deactivates_the_product(manager: User, product: Product) -> None:
    url = reverse("sales:product_edit", args=[product.pk])
    client = signed_in(manager)
    page = client.get(url).content.decode()
    assert 'name="is_active" checked' in page
    form = product_form(sku="CRM-PRO", is_active=None, version=str(product.version))
    assert client.post(url, form).status_code == 302
    product.refresh_from_db()
    assert product.is_active is False
    assert product.version == 2
    html = client.get(reverse("sales:product_list") + "?active=false").content.decode()
    assert "CRM-PRO" in html


def test_a_stale_product_form_is_refused_and_overwrites_nothing(
    manager: User, admin: User, product: Product
) -> None:
    url = reverse("sales:product_edit", args=[product.pk])
    client = signed_in(manager)
    stale = str(product.version)
    # Someone else saves first.
    assert (
        signed_in(admin)
        .post(url, product_form(sku="CRM-PRO", name_en="Renamed", version=stale))
        .status_code
        == 302
    )
    response = client.post(url, product_form(sku="CRM-PRO", name_en="Mine", version=stale))
    assert response.status_code == 409
    html = response.content.decode()
    assert "This record was changed by someone else." in html
    assert 'data-testid="reload-form"' in html
    product.refresh_from_db()
    assert product.name_en == "Renamed"


def test_editing_is_403_for_readers_and_404_for_an_unknown_product(
    reader: User, manager: User, product: Product
) -> None:
    url = reverse("sales:product_edit", args=[product.pk])
    client = signed_in(reader)
    assert client.get(url).status_code == 403
    response = client.post(url, product_form(name_en="Hacked", version=str(product.version)))
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.name_en == "CRM Pro licence"
    assert signed_in(manager).get(reverse("sales:product_edit", args=[999999])).status_code == 404


def test_the_product_form_speaks_hindi(manager: User, product: Product) -> None:
    client = signed_in(manager, "hi")
    page = client.get(reverse("sales:product_create")).content.decode()
    assert "नया उत्पाद" in page
    assert "डिफ़ॉल्ट जीएसटी दर (%)" in page
    response = client.post(reverse("sales:product_create"), product_form(sku="crm-pro"))
    assert response.status_code == 400
    assert "इस एसकेयू वाला उत्पाद पहले से मौजूद है।" in response.content.decode()


# ---------------------------------------------------------------- price books


def test_price_books_are_listed_for_everyone_and_created_by_managers(
    manager: User, reader: User
) -> None:
    html = signed_in(reader).get(reverse("sales:price_book_list")).content.decode()
    default = PriceBook.objects.get(is_default=True)
    assert default.name in html
    assert 'data-testid="new-price-book"' not in html
    client = signed_in(manager)
    assert (
        'data-testid="new-price-book"'
        in client.get(reverse("sales:price_book_list")).content.decode()
    )
    response = client.post(
        reverse("sales:price_book_create"), {"name": "Export 2025", "is_active": "on"}
    )
    book = PriceBook.objects.get(name="Export 2025")
    assert response["Location"] == reverse("sales:price_book_detail", args=[book.pk])
    assert (book.is_default, book.is_active) == (False, True)


def test_a_duplicate_price_book_name_is_refused(manager: User) -> None:
    default = PriceBook.objects.get(is_default=True)
    response = signed_in(manager).post(
        reverse("sales:price_book_create"), {"name": default.name.upper(), "is_active": "on"}
    )
    assert response.status_code == 400
    assert "A price book with this name already exists." in response.content.decode()
    assert PriceBook.objects.count() == 1


def test_making_a_price_book_the_default_takes_the_flag_from_the_other(manager: User) -> None:
    old = PriceBook.objects.get(is_default=True)
    book = price_book_create(actor=manager, data={"name": "Partners"})
    url = reverse("sales:price_book_edit", args=[book.pk])
    response = signed_in(manager).post(
        url,
        {"name": "Partners", "is_default": "on", "is_active": "on", "version": book.version},
    )
    assert response.status_code == 302
    book.refresh_from_db()
    old.refresh_from_db()
    assert (book.is_default, old.is_default) == (True, False)


def test_a_stale_price_book_form_is_a_conflict(manager: User) -> None:
    book = price_book_create(actor=manager, data={"name": "Partners"})
    stale = book.version
    url = reverse("sales:price_book_edit", args=[book.pk])
    client = signed_in(manager)
    assert (
        client.post(url, {"name": "Partners A", "is_active": "on", "version": stale}).status_code
        == 302
    )
    response = client.post(url, {"name": "Partners B", "is_active": "on", "version": stale})
    assert response.status_code == 409
    book.refresh_from_db()
    assert book.name == "Partners A"


def test_setting_replacing_and_removing_a_price(manager: User, product: Product) -> None:
    book = PriceBook.objects.get(is_default=True)
    client = signed_in(manager)
    url = reverse("sales:price_book_price", args=[book.pk])
    data = {"product_id": str(product.pk), "currency": "inr", "unit_price": "1200"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, {**data, "unit_price": "1350.50"}).status_code == 302
    entry = PriceBookEntry.objects.get()
    assert (entry.currency, entry.unit_price) == ("INR", Decimal("1350.50"))
    page = client.get(reverse("sales:price_book_detail", args=[book.pk])).content.decode()
    assert "CRM-PRO" in page and "1,350.50" in page
    assert 'data-testid="remove-price"' in page
    response = client.post(url, {"product_id": str(product.pk), "currency": "INR", "remove": "1"})
    assert response.status_code == 302
    assert PriceBookEntry.objects.count() == 0


def test_a_bad_price_shows_errors_and_writes_nothing(manager: User, product: Product) -> None:
    book = PriceBook.objects.get(is_default=True)
    price_book_entry_set(
        actor=manager,
        price_book=book,
        data={"product_id": product.pk, "currency": "INR", "unit_price": "100"},
    )
    before = AuditEntry.objects.count()
    client = signed_in(manager)
    url = reverse("sales:price_book_price", args=[book.pk])
    # An empty price on the set form is a mistake, not a removal.
    response = client.post(
        url, {"product_id": str(product.pk), "currency": "INR", "unit_price": ""}
    )
    assert response.status_code == 400
    assert 'data-testid="errors-unit_price"' in response.content.decode()
    response = client.post(url, {"product_id": "", "currency": "XYZ1", "unit_price": "-5"})
    assert response.status_code == 400
    html = response.content.decode()
    for name in ("product_id", "currency", "unit_price"):
        assert f'data-testid="errors-{name}"' in html
    assert list(PriceBookEntry.objects.values_list("unit_price", flat=True)) == [Decimal("100")]
    assert AuditEntry.objects.count() == before


def test_readers_see_prices_but_cannot_set_or_remove_them(
    reader: User, manager: User, product: Product
) -> None:
    book = PriceBook.objects.get(is_default=True)
    price_book_entry_set(
        actor=manager,
        price_book=book,
        data={"product_id": product.pk, "currency": "INR", "unit_price": "100"},
    )
    client = signed_in(reader)
    page = client.get(reverse("sales:price_book_detail", args=[book.pk])).content.decode()
    assert "CRM-PRO" in page
    assert 'data-testid="price-form"' not in page and 'data-testid="remove-price"' not in page
    url = reverse("sales:price_book_price", args=[book.pk])
    for data in (
        {"product_id": str(product.pk), "currency": "INR", "unit_price": "1"},
        {"product_id": str(product.pk), "currency": "INR", "unit_price": ""},
        {"product_id": str(product.pk), "currency": "INR", "remove": "1"},
    ):
        assert client.post(url, data).status_code == 403
    assert client.get(reverse("sales:price_book_edit", args=[book.pk])).status_code == 403
    assert list(PriceBookEntry.objects.values_list("unit_price", flat=True)) == [Decimal("100")]


def test_the_price_book_page_reads_in_the_same_queries_whatever_its_size(
    manager: User, product: Product
) -> None:
    book = PriceBook.objects.get(is_default=True)
    client = signed_in(manager)
    url = reverse("sales:price_book_detail", args=[book.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    price_book_entry_set(
        actor=manager,
        price_book=book,
        data={"product_id": product.pk, "currency": "INR", "unit_price": "1"},
    )
    one = queries()
    for n in range(4):
        other = product_create(actor=manager, data={"sku": f"P-{n}", "name_en": f"P {n}"})
        for currency in ("INR", "USD"):
            price_book_entry_set(
                actor=manager,
                price_book=book,
                data={"product_id": other.pk, "currency": currency, "unit_price": "2"},
            )
    assert queries() == one


def test_the_price_book_page_speaks_hindi(manager: User) -> None:
    book = PriceBook.objects.get(is_default=True)
    page = signed_in(manager, "hi").get(reverse("sales:price_book_detail", args=[book.pk]))
    html = page.content.decode()
    assert "मूल्य सूचियाँ" in html
    assert "मूल्य निर्धारित करें" in html


# ---------------------------------------------------------------- quote lines


@pytest.fixture
def quote(owner: User, product: Product) -> Quote:
    deal = make_deal(
        owner,
        line_items=[
            {"product_id": product.pk, "quantity": "10", "unit_price": "1200", "tax_rate": "18"},
            {"description": "Training day", "quantity": "2", "unit_price": "15000"},
        ],
    )
    return quote_create_from_deal(actor=owner, deal=deal, data={})


def lines_form(quote: Quote, rows: list[dict[str, str]], **extra: Any) -> dict[str, str]:
    form: dict[str, str] = {"version": str(quote.version), "line_count": str(len(rows))}
    for n, row in enumerate(rows):
        for key, value in row.items():
            form[f"lines-{n}-{key}"] = value
    form.update(extra)
    return form


def stored_lines(quote: Quote) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (line.description, line.quantity, line.unit_price)
        for line in QuoteLine.objects.filter(quote=quote).order_by("position")
    ]


def test_a_draft_shows_its_lines_form_with_an_empty_row(owner: User, quote: Quote) -> None:
    html = signed_in(owner).get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert 'data-testid="lines-form"' in html
    assert html.count('data-testid="line-row"') == 3
    assert 'name="line_count" value="3"' in html
    assert 'value="Training day"' in html


def test_editing_adding_and_removing_lines_with_an_overall_discount(
    owner: User, quote: Quote, product: Product
) -> None:
    rows = [
        {
            "product_id": str(product.pk),
            "description": "CRM Pro licence",
            "quantity": "5",
            "unit_price": "1200.00",
            "discount_percent": "0",
            "tax_rate": "18",
        },
        {
            "description": "Training day",
            "quantity": "2",
            "unit_price": "15000.00",
            "discount_percent": "0",
            "tax_rate": "0",
            "remove": "1",
        },
        {
            "description": "Setup",
            "quantity": "",
            "unit_price": "5000",
            "discount_percent": "10",
            "tax_rate": "18",
        },
        {},
    ]
    response = signed_in(owner).post(
        reverse("sales:quote_lines", args=[quote.pk]),
        lines_form(quote, rows, discount_percent="5"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:quote_detail", args=[quote.pk])
    quote.refresh_from_db()
    assert stored_lines(quote) == [
        ("CRM Pro licence", Decimal("5.00"), Decimal("1200.00")),
        ("Setup", Decimal("1.00"), Decimal("5000.00")),
    ]
    # 6,000 + 4,500 (5,000 less 10%) = 10,500; 5% off = 9,975; 18% GST = 1,795.50.
    assert quote.discount_percent == Decimal("5.00")
    assert quote.total == Decimal("11770.50")
    assert quote.version == 3  # the lines, then the discount


def test_bad_lines_show_errors_on_their_rows_and_write_nothing(owner: User, quote: Quote) -> None:
    before = (stored_lines(quote), quote.total, quote.version, AuditEntry.objects.count())
    rows = [
        {"description": "Training day", "quantity": "0", "unit_price": "15000"},
        {"description": "", "unit_price": "", "discount_percent": "120"},
    ]
    response = signed_in(owner).post(
        reverse("sales:quote_lines", args=[quote.pk]),
        lines_form(quote, rows, discount_percent="5"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="line-0-errors-quantity"' in html
    assert 'data-testid="line-1-errors-discount_percent"' in html
    assert "Choose a product or enter a description." in html
    assert 'value="120"' in html  # the rows come back as typed
    quote.refresh_from_db()
    assert (stored_lines(quote), quote.total, quote.version, AuditEntry.objects.count()) == before
    assert quote.discount_percent == Decimal("0.00")  # the valid discount was not kept either


def test_a_bad_overall_discount_keeps_the_lines_as_they_were(owner: User, quote: Quote) -> None:
    before = stored_lines(quote)
    rows = [{"description": "Only line", "quantity": "1", "unit_price": "10"}]
    response = signed_in(owner).post(
        reverse("sales:quote_lines", args=[quote.pk]),
        lines_form(quote, rows, discount_percent="abc"),
    )
    assert response.status_code == 400
    assert 'data-testid="errors-discount_percent"' in response.content.decode()
    assert stored_lines(quote) == before


def test_a_stale_lines_form_is_a_conflict_and_changes_nothing(owner: User, quote: Quote) -> None:
    stale = lines_form(quote, [{"description": "Mine", "unit_price": "1"}])
    client = signed_in(owner)
    first = lines_form(quote, [{"description": "Theirs", "unit_price": "2"}])
    assert client.post(reverse("sales:quote_lines", args=[quote.pk]), first).status_code == 302
    response = client.post(reverse("sales:quote_lines", args=[quote.pk]), stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This record was changed by someone else." in html
    assert 'data-testid="reload-quote"' in html
    assert [d for d, _q, _p in stored_lines(quote)] == ["Theirs"]


def test_a_sent_quote_shows_its_lines_read_only_and_refuses_changes(
    owner: User, quote: Quote
) -> None:
    quote = quote_send(actor=owner, quote=quote)
    client = signed_in(owner)
    html = client.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert 'data-testid="lines-form"' not in html
    assert html.count('data-testid="quote-line"') == 2
    before = stored_lines(quote)
    response = client.post(
        reverse("sales:quote_lines", args=[quote.pk]),
        lines_form(quote, [{"description": "Late", "unit_price": "1"}]),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Only a draft quote can be changed; revise it instead." in html
    assert 'data-testid="lines-form"' not in html
    assert stored_lines(quote) == before


def test_others_cannot_change_the_lines(
    owner: User, teammate: User, outsider: User, reader: User, quote: Quote
) -> None:
    before = (stored_lines(quote), AuditEntry.objects.count())
    form = lines_form(quote, [{"description": "Hijack", "unit_price": "1"}])
    url = reverse("sales:quote_lines", args=[quote.pk])
    # A teammate and a reader see the quote (read-only); someone in another team does not.
    for user, status in ((teammate, 403), (reader, 403), (outsider, 404)):
        client = signed_in(user)
        assert client.post(url, form).status_code == status
        if status == 403:
            page = client.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
            assert 'data-testid="lines-form"' not in page
    assert (stored_lines(quote), AuditEntry.objects.count()) == before


def test_the_lines_form_speaks_hindi(owner: User, quote: Quote) -> None:
    client = signed_in(owner, "hi")
    html = client.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert "पंक्तियाँ संपादित करें" in html
    assert "पंक्तियाँ सहेजें" in html
    response = client.post(
        reverse("sales:quote_lines", args=[quote.pk]),
        lines_form(quote, [{"description": "", "unit_price": "5"}]),
    )
    assert response.status_code == 400
    assert "उत्पाद चुनें या विवरण लिखें।" in response.content.decode()

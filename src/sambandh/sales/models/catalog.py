"""Products and price books; quotes built from a deal's lines; orders, the purchase history."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sambandh.contacts.models import Account, Contact, Owned
from sambandh.core.models import AllScoped, ObjectType, Record
from sambandh.sales.models.deals import Deal, DealScoped, LineItem


class Product(AllScoped, Record):
    permission_type = ObjectType.PRODUCT

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_hi = models.CharField(_("name (Hindi)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    tax_rate = models.DecimalField(
        _("default tax rate (%)"), max_digits=5, decimal_places=2, default=0
    )
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["name_en", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [models.Index(fields=["is_active", "name_en", "id"], name="product_list_idx")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name_en}"


class PriceBook(AllScoped, Record):
    permission_type = ObjectType.PRICE_BOOK

    name = models.CharField(_("name"), max_length=120, unique=True)
    is_default = models.BooleanField(_("is default"), default=False)
    is_active = models.BooleanField(_("is active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("price book")
        verbose_name_plural = _("price books")

    def __str__(self) -> str:
        return self.name


class PriceBookEntry(models.Model):
    """A product's price in one currency in one price book."""

    price_book = models.ForeignKey(PriceBook, on_delete=models.CASCADE, related_name="entries")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(
                fields=["price_book", "product", "currency"], name="price_book_entry_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.unit_price}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


class Totals(models.Model):
    """The money columns quotes and orders share; computed by the service, never typed in."""

    currency = models.CharField(_("currency"), max_length=3)
    subtotal = models.DecimalField(_("subtotal"), max_digits=18, decimal_places=2, default=0)
    discount_total = models.DecimalField(_("discount"), max_digits=18, decimal_places=2, default=0)
    tax_total = models.DecimalField(_("tax"), max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=0)

    class Meta:
        abstract = True


class Quote(DealScoped, Totals, Record):
    """A priced offer for a deal. ``number`` names the quote; ``revision`` counts its versions."""

    permission_type = ObjectType.QUOTE

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="quotes"
    )
    number = models.CharField(_("number"), max_length=40)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    status = models.CharField(
        _("status"), max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    discount_percent = models.DecimalField(
        _("overall discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    terms = models.TextField(_("terms"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quote_number_revision")
        ]
        indexes = [models.Index(fields=["deal", "-created_at"], name="quote_deal_idx")]

    def __str__(self) -> str:
        return f"{self.number} r{self.revision}"


class QuoteLine(LineItem):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    line_total = models.DecimalField(_("line total"), max_digits=18, decimal_places=2, default=0)

    class Meta(LineItem.Meta):
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    PAID = "paid", _("Paid")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class OrderSource(models.TextChoices):
    DEAL = "deal", _("Won deal")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Entered by hand")


class Order(Totals, Owned):
    """A purchase: the customer's purchase history is made of these."""

    permission_type = ObjectType.ORDER

    number = models.CharField(_("number"), max_length=40, unique=True)
    external_id = models.CharField(_("external id"), max_length=100, null=True, blank=True)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    deal = models.OneToOneField(
        Deal,
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="order",
    )
    ordered_on = models.DateField(_("order date"))
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    source = models.CharField(
        _("source"), max_length=20, choices=OrderSource.choices, default=OrderSource.MANUAL
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="order_external_id_unique")
        ]
        indexes = [
            models.Index(fields=["contact", "-ordered_on", "-id"], name="order_contact_idx"),
            models.Index(fields=["account", "-ordered_on", "-id"], name="order_account_idx"),
            models.Index(fields=["ordered_on", "id"], name="order_date_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(LineItem):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_total = models.DecimalField(_("line total"), max_digits=18, decimal_places=2, default=0)

    class Meta(LineItem.Meta):
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

"""HTML forms for products and price books, and a price book's prices.

Thin: the catalogue services validate, check permissions and write; selectors read. Pages
that change something answer 403 (before showing a form) to users whose role may not.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from sambandh.contacts.forms import Field
from sambandh.core import money
from sambandh.core.errors import Conflict, PermissionDenied, ValidationError
from sambandh.core.models import Action, ObjectType, User
from sambandh.core.permissions import has_grant, in_scope
from sambandh.sales import forms_catalog as forms
from sambandh.sales.models import PriceBook, Product
from sambandh.sales.selectors import catalog as selectors
from sambandh.sales.services import catalog as services
from sambandh.web.http import HtmxRequest, actor_of, page_view


def _version(post: QueryDict) -> int:
    try:
        return int(post.get("version", ""))
    except ValueError:
        return -1


def _record_form(
    request: HtmxRequest,
    *,
    obj: Product | PriceBook | None,
    fields: list[Field],
    initial: dict[str, str],
    save: Any,
    title: str,
    cancel_url: str,
    reload_url: str | None,
) -> HttpResponse:
    """Show a create/edit form; on POST call ``save(data, version)``, redirect to the list
    on success, or show the form again with the service's errors (nothing written)."""
    values, errors, status = initial, {}, 200
    version = obj.version if obj is not None else None
    if request.method == "POST":
        values = forms.submitted(request.POST, fields)
        if obj is not None:
            version = _version(request.POST)
        try:
            saved = save(forms.service_data(request.POST, fields), version)
        except ValidationError as exc:
            errors, status = forms.error_lists(exc, fields), exc.status
        except Conflict as exc:
            errors, status = {"": [exc.message]}, exc.status
        else:
            messages.success(request, _("Saved."))
            return redirect(saved)
    context = {
        "obj": obj,
        "title": title,
        "inputs": forms.inputs(fields, values, errors),
        "form_errors": errors.get("", []),
        "version": version,
        "conflict": status == 409,
        "reload_url": reload_url,
        "cancel_url": cancel_url,
    }
    return render(request, "sales/catalog/record_form.html", context, status=status)


# ---------------------------------------------------------------- products


def _listed(product: Product) -> str:
    """The product list searched for the product just saved."""
    return f"{reverse('sales:product_list')}?{urlencode({'q': product.sku})}"


@page_view
@require_http_methods(["GET", "POST"])
def product_create(request: HtmxRequest) -> HttpResponse:
    actor = actor_of(request)
    if not has_grant(actor, ObjectType.PRODUCT, Action.CREATE):
        raise PermissionDenied()

    def save(data: dict[str, Any], _version: int | None) -> str:
        product = services.product_create(actor=actor, data=data)
        return _listed(product)

    return _record_form(
        request,
        obj=None,
        fields=forms.PRODUCT_FIELDS,
        initial=forms.product_initial(None),
        save=save,
        title=_("New product"),
        cancel_url=reverse("sales:product_list"),
        reload_url=None,
    )


@page_view
@require_http_methods(["GET", "POST"])
def product_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    """Edit with the version the form was built from; untick "active" to stop selling it."""
    actor = actor_of(request)
    product = selectors.product_get(actor=actor, pk=pk)
    if not in_scope(actor, product, Action.UPDATE):
        raise PermissionDenied()

    def save(data: dict[str, Any], version: int | None) -> str:
        return _listed(
            services.product_update(actor=actor, product=product, data=data, version=version)
        )

    return _record_form(
        request,
        obj=product,
        fields=forms.PRODUCT_FIELDS,
        initial=forms.product_initial(product),
        save=save,
        title=_("Edit product %(sku)s") % {"sku": product.sku},
        cancel_url=reverse("sales:product_list"),
        reload_url=reverse("sales:product_edit", args=[product.pk]),
    )


# ---------------------------------------------------------------- price books


@page_view
@require_http_methods(["GET"])
def price_book_list(request: HtmxRequest) -> HttpResponse:
    actor = actor_of(request)
    context = {
        "books": selectors.price_book_list(actor=actor),
        "can_create": has_grant(actor, ObjectType.PRICE_BOOK, Action.CREATE),
    }
    return render(request, "sales/catalog/price_books.html", context)


@page_view
@require_http_methods(["GET", "POST"])
def price_book_create(request: HtmxRequest) -> HttpResponse:
    actor = actor_of(request)
    if not has_grant(actor, ObjectType.PRICE_BOOK, Action.CREATE):
        raise PermissionDenied()

    def save(data: dict[str, Any], _version: int | None) -> str:
        book = services.price_book_create(actor=actor, data=data)
        return reverse("sales:price_book_detail", args=[book.pk])

    return _record_form(
        request,
        obj=None,
        fields=forms.PRICE_BOOK_FIELDS,
        initial=forms.price_book_initial(None),
        save=save,
        title=_("New price book"),
        cancel_url=reverse("sales:price_book_list"),
        reload_url=None,
    )


@page_view
@require_http_methods(["GET", "POST"])
def price_book_edit(request: HtmxRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    book = selectors.price_book_get(actor=actor, pk=pk)
    if not in_scope(actor, book, Action.UPDATE):
        raise PermissionDenied()

    def save(data: dict[str, Any], version: int | None) -> str:
        services.price_book_update(actor=actor, price_book=book, data=data, version=version)
        return reverse("sales:price_book_detail", args=[book.pk])

    return _record_form(
        request,
        obj=book,
        fields=forms.PRICE_BOOK_FIELDS,
        initial=forms.price_book_initial(book),
        save=save,
        title=_("Edit price book %(name)s") % {"name": book.name},
        cancel_url=reverse("sales:price_book_detail", args=[book.pk]),
        reload_url=reverse("sales:price_book_edit", args=[book.pk]),
    )


PRICE_LABELS = {
    "product_id": gettext_lazy("Product"),
    "currency": gettext_lazy("Currency"),
    "unit_price": gettext_lazy("Unit price"),
}


def _book_context(
    actor: User, book: PriceBook, values: dict[str, str], errors: dict[str, list[str]]
) -> dict[str, Any]:
    can_update = in_scope(actor, book, Action.UPDATE)
    context: dict[str, Any] = {
        "book": book,
        "entries": selectors.price_book_entries(actor=actor, price_book=book),
        "can_update": can_update,
        "values": values,
        "errors": errors,
        "form_errors": errors.get("", []),
    }
    if can_update:
        context["products"] = selectors.product_choices(actor=actor)
    return context


@page_view
@require_http_methods(["GET"])
def price_book_detail(request: HtmxRequest, pk: int) -> HttpResponse:
    """A price book's prices (product, currency, price) and, for editors, a form to set one."""
    actor = actor_of(request)
    book = selectors.price_book_get(actor=actor, pk=pk)
    values = {"product_id": "", "currency": money.base_currency(), "unit_price": ""}
    return render(
        request, "sales/catalog/price_book_detail.html", _book_context(actor, book, values, {})
    )


@page_view
@require_http_methods(["POST"])
def price_book_price(request: HtmxRequest, pk: int) -> HttpResponse:
    """Set a product's price in one currency, or (``remove``) take it off the price book."""
    actor = actor_of(request)
    book = selectors.price_book_get(actor=actor, pk=pk)
    values = {k: request.POST.get(k, "").strip() for k in PRICE_LABELS}
    removing = bool(request.POST.get("remove"))
    try:
        if not removing and not values["unit_price"]:
            # The service reads an empty price as "remove": the set form must not.
            if not in_scope(actor, book, Action.UPDATE):
                raise PermissionDenied()
            raise ValidationError({"unit_price": [_("This field is required.")]})
        data = {**values, "unit_price": None if removing else values["unit_price"]}
        _entry, _created = services.price_book_entry_set(actor=actor, price_book=book, data=data)
    except ValidationError as exc:
        errors = {"": [exc.message]}
        for name, msgs in exc.fields.items():
            errors.setdefault(name if name in PRICE_LABELS else "", []).extend(msgs)
        context = _book_context(actor, book, values, errors)
        return render(request, "sales/catalog/price_book_detail.html", context, status=exc.status)
    messages.success(request, _("Price removed.") if removing else _("Price saved."))
    return redirect("sales:price_book_detail", book.pk)


urlpatterns = [
    path("products/new/", product_create, name="product_create"),
    path("products/<int:pk>/edit/", product_edit, name="product_edit"),
    path("price-books/", price_book_list, name="price_book_list"),
    path("price-books/new/", price_book_create, name="price_book_create"),
    path("price-books/<int:pk>/", price_book_detail, name="price_book_detail"),
    path("price-books/<int:pk>/edit/", price_book_edit, name="price_book_edit"),
    path("price-books/<int:pk>/prices/", price_book_price, name="price_book_price"),
]

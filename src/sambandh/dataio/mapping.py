"""Which column of an imported file goes to which of our fields: suggestions and checks.

``suggest_mapping(headers, object_type="contact")`` proposes a target for every column, with a
confidence, from (best first) our own field names and their English and Hindi labels, alias
tables that include the column names of HubSpot, Salesforce, Zoho and Pipedrive exports, custom
fields by key and label, and a fuzzy match for misspellings. The user confirms or changes the
proposal; ``check_mapping`` then says what is wrong with the chosen one.

Targets are our field names (``first_name``, ``email``, ...), a few that name a related record
by its natural key (``account_name``, ``account_domain``, ``owner``, ``lifecycle_stage``,
``tags``), ``full_name`` (split into first and last), ``note`` (a note on the record),
``external_id`` (the other system's id, for updates and undo), and ``cf.<key>`` for a custom
field. ``None`` means the column is skipped.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, Protocol

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from rapidfuzz import fuzz, process

from sambandh.dataio.problems import Problem

ObjectType = Literal["contact", "account", "deal", "order", "activity"]
# Kinds imported row by row through their own create services (``records_engine``), create
# only; contacts and companies go through the bulk engine (``engine``).
RECORD_KINDS = frozenset({"deal", "order", "activity"})

EXACT = 1.0  # our field name or its label
ALIAS = 0.95  # a name another CRM or a common spreadsheet uses for this field
WEAK = 0.8  # a name that usually means this field, when nothing better claims the column
FUZZY_MIN_SCORE = 80  # rapidfuzz ratio (0-100) below which a fuzzy match is no match
FUZZY_MAX = 0.9  # a fuzzy match is never as sure as a known name
DEFAULT_MIN_CONFIDENCE = 0.75


class Match(enum.StrEnum):
    EXACT = "exact"
    ALIAS = "alias"
    FUZZY = "fuzzy"
    NONE = "none"


class CustomFieldLike(Protocol):
    """What a custom-field definition offers to mapping (``CustomFieldDefinition`` does)."""

    key: str
    label_en: str
    label_hi: str


@dataclasses.dataclass(frozen=True)
class Target:
    """A field a column can be mapped to. ``multiple``: several columns may feed it (their
    values are joined: other emails and phones, tags, notes)."""

    name: str
    label: StrOrPromise
    aliases: tuple[str, ...] = ()
    weak_aliases: tuple[str, ...] = ()
    multiple: bool = False
    model_field: bool = True  # its label is the model field's verbose_name


@dataclasses.dataclass(frozen=True)
class Suggestion:
    column: int  # 0-based, in the file's order
    header: str
    target: str | None
    confidence: float  # 0 for no target
    match: Match


def _t(
    name: str,
    label: StrOrPromise | None = None,
    aliases: str = "",
    weak: str = "",
    *,
    multiple: bool = False,
) -> Target:
    """A target; aliases in one string separated by "|" keep the tables readable."""
    return Target(
        name=name,
        label=label if label is not None else name,
        aliases=tuple(a for a in aliases.split("|") if a),
        weak_aliases=tuple(a for a in weak.split("|") if a),
        multiple=multiple,
        model_field=label is None,
    )


# Aliases are written already normalised (see ``normalise_header``): lower case, words split
# at camelCase and punctuation. HubSpot: "First Name", "Phone Number", "Company Name",
# "Lifecycle Stage", "Contact owner", "Record ID". Salesforce: "FirstName", "MailingCity",
# "Account Name", "LeadSource", "HasOptedOutOfEmail". Zoho: "Mailing City", "Contact Owner",
# "Secondary Email", "Email Opt Out". Pipedrive: "Person - Name", "Person - Email - Work",
# "Organization - Name", "Person - Label" (the entity prefix is also tried without).
_ADDRESS = (
    _t("street", None, "street|street address|address|address line 1|address 1|mailing street|mailing address|address street|पता", "billing street|other street"),
    _t("city", None, "city|town|mailing city|address city|locality", "billing city|other city"),
    _t("state", None, "state|region|province|state region|state province|mailing state|mailing state province|address state", "billing state|billing state province|county"),
    _t("postal_code", None, "postal code|zip|zip code|postcode|post code|pin|pin code|pincode|mailing postal code|mailing zip|mailing zip code|address postal code|पिन कोड|पिनकोड", "billing postal code|billing zip|billing code"),
    _t("country", None, "country|country region|mailing country|address country|nation", "billing country"),
)  # fmt: skip

_CONTACT = (
    _t("external_id", _("external ID"), "external id|record id|contact id|person id|hubspot id|zoho id|salesforce id|contact record id|id"),
    _t("full_name", _("full name"), "full name|name|contact name|person name|display name|contact full name|नाम|पूरा नाम", "customer name|client name"),
    _t("salutation", None, "salutation|prefix|name prefix|title prefix|honorific"),
    _t("first_name", None, "first name|firstname|given name|forename|first"),
    _t("last_name", None, "last name|lastname|surname|family name|last"),
    _t("email", None, "email|e mail|email address|e mail address|primary email|email 1|work email|email work|business email", "personal email|email home|home email"),
    _t("other_emails", None, "other emails|other email|secondary email|additional email|additional email addresses|email 2|email 3|email other|alternate email", "personal email|email home|home email", multiple=True),
    _t("phone", None, "phone|phone number|telephone|tel|work phone|phone work|business phone|office phone|primary phone|phone 1", "mobile|mobile phone|mobile phone number|mobile number|cell|cell phone|phone mobile|contact number|मोबाइल|मोबाइल नंबर|फ़ोन नंबर|फोन"),
    _t("other_phones", None, "other phones|other phone|phone 2|phone 3|phone other|home phone|phone home|alternate phone|assistant phone", "mobile|mobile phone|mobile phone number|mobile number|cell|cell phone|phone mobile", multiple=True),
    _t("job_title", None, "job title|title|designation|position|job|job position"),
    _t("account_name", _("company name"), "company|company name|account|account name|organization|organisation|organization name|organisation name|org|employer|associated company|business name|primary company|कंपनी|कंपनी का नाम", "person organization"),
    _t("account_domain", _("company domain"), "company domain|company domain name|account domain|organization domain|domain"),
    _t("owner", _("owner"), "owner|contact owner|owner email|contact owner email|record owner|owner name|person owner|assigned to|sales owner", "lead owner|sales rep|salesperson"),
    *_ADDRESS,
    _t("birthday", None, "birthday|date of birth|dob|birthdate|birth date|born|जन्मतिथि|जन्म तिथि"),
    _t("anniversary", None, "anniversary|wedding anniversary|anniversary date"),
    _t("preferred_language", None, "preferred language|language|lang|communication language"),
    _t("time_zone", None, "time zone|timezone|tz|ip timezone"),
    _t("source", None, "source|lead source|original source|contact source|source of lead", "original source drill down 1|channel"),
    _t("do_not_contact", None, "do not contact|do not call|email opt out|has opted out of email|opted out|unsubscribed|unsubscribed from all email|do not email|dnd|optout", "opt out"),
    _t("lifecycle_stage", _("lifecycle stage"), "lifecycle stage|lifecyclestage|stage|contact stage|customer stage", "lead status|status|contact status"),
    _t("tags", _("tags"), "tags|tag|labels|label|categories|category|person label|groups", multiple=True),
    _t("note", _("note"), "note|notes|description|comments|comment|remarks", multiple=True),
)  # fmt: skip

_ACCOUNT = (
    _t("external_id", _("external ID"), "external id|record id|company id|account id|organization id|organisation id|hubspot id|zoho id|salesforce id|id"),
    _t("name", None, "name|company|company name|account|account name|organization|organisation|organization name|organisation name|business name|legal name"),
    _t("domain", None, "domain|company domain|company domain name|domain name|website domain|email domain"),
    _t("website", None, "website|website url|web site|url|homepage|home page|web"),
    _t("industry", None, "industry|sector|industry type|vertical"),
    _t("size_band", None, "size|size band|company size|number of employees|employees|no of employees|employee count|headcount"),
    _t("annual_revenue", None, "annual revenue|revenue|yearly revenue|turnover|annual turnover"),
    _t("annual_revenue_currency", None, "annual revenue currency|currency|currency code|account currency|company currency"),
    _t("type", None, "type|account type|company type|organization type|relationship"),
    _t("phone", None, "phone|phone number|company phone|telephone|main phone|office phone|tel"),
    _t("owner", _("owner"), "owner|company owner|account owner|organization owner|owner email|record owner|owner name|assigned to", "sales rep|salesperson"),
    _t("parent", None, "parent|parent company|parent account|parent organization|parent organisation"),
    *_ADDRESS,
    _t("tags", _("tags"), "tags|tag|labels|label|categories|category|organization label", multiple=True),
    _t("note", _("note"), "note|notes|description|about|comments|remarks", multiple=True),
)  # fmt: skip

# --- deals, orders and activities (imported by ``records_engine``) ------------------------
# HubSpot deals: "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date", "Deal owner",
# "Associated Company", "Associated Contact". Salesforce opportunities: "Opportunity Name",
# "Stage", "Close Date", "Amount", "Account Name", "Opportunity Owner", "Probability (%)".
# Zoho deals: "Deal Name", "Stage", "Closing Date", "Account Name", "Contact Name", "Deal Owner".
# Pipedrive: "Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Stage", "Deal - Status",
# "Deal - Pipeline", "Deal - Owner", "Deal - Organization", "Deal - Contact person",
# "Deal - Expected close date", and "Activity - Subject", "Activity - Type",
# "Activity - Due date", "Activity - Due time", "Activity - Duration", "Activity - Done",
# "Activity - Note", "Activity - Assigned to user", "Activity - Deal" (prefixes stripped too).
# Orders: Shopify ("Name", "Email", "Financial Status", "Total", "Created at", "Lineitem name"),
# WooCommerce ("Order Number", "Order Date", "Order Status", "Order Total", "Billing Email"),
# Salesforce ("Order Number", "Order Start Date", "Order Amount"), Zoho ("SO Number",
# "Grand Total").
_COMPANY_REFS = (
    _t("account_name", _("company name"), "company|company name|account|account name|organization|organisation|organization name|organisation name|associated company|org|business name|कंपनी|कंपनी का नाम"),
    _t("account_domain", _("company domain"), "company domain|company domain name|account domain|organization domain|domain"),
)  # fmt: skip

_DEAL = (
    _t("name", _("deal name"), "deal name|deal|name|deal title|title|dealname|opportunity name|opportunity|opportunity title|सौदा|सौदे का नाम"),
    _t("pipeline", _("pipeline"), "pipeline|deal pipeline|sales pipeline|पाइपलाइन"),
    _t("stage", _("stage"), "stage|deal stage|dealstage|opportunity stage|sales stage|चरण"),
    _t("status", _("won or lost"), "status|deal status|won or lost|won lost|outcome|स्थिति"),
    _t("amount", _("amount"), "amount|value|deal value|deal amount|opportunity amount|राशि", "total|price|expected revenue"),
    _t("currency", _("currency"), "currency|deal currency|currency code|amount currency|opportunity currency|मुद्रा"),
    _t("expected_close_on", _("expected close date"), "expected close date|expected close|close date|closing date|closedate|expected closing date|target close date"),
    _t("probability", _("probability (%)"), "probability|probability %|deal probability|win probability|probability percent"),
    _t("owner", _("owner"), "owner|deal owner|opportunity owner|owner email|owner name|assigned to|record owner|स्वामी", "user|sales rep|salesperson"),
    *_COMPANY_REFS,
    _t("contact", _("contact (email or name)"), "contact|contact email|contact name|contact person|associated contact|primary contact|person|person name|person email|संपर्क", "email"),
    _t("source", _("source"), "source|lead source|deal source|original source|source of deal"),
    _t("next_step", _("next step"), "next step|next action"),
    _t("lost_reason", _("lost reason"), "lost reason|closed lost reason|loss reason|reason lost|reason for loss|lost reason description"),
)  # fmt: skip

_ORDER = (
    _t("external_id", _("order number"), "order number|order no|order id|order|order ref|order reference|number|invoice number|invoice no|invoice|transaction id|receipt number|so number|sales order number|external id|id", "name"),
    _t("ordered_on", _("order date"), "order date|date|ordered on|purchase date|transaction date|invoice date|sale date|order start date|created at|created|created date|created time|तारीख", "paid at"),
    _t("amount", _("amount"), "amount|total|order total|grand total|total amount|order amount|value|net amount|राशि", "subtotal|sub total|price"),
    _t("currency", _("currency"), "currency|order currency|currency code|मुद्रा"),
    _t("status", _("order status"), "status|order status|financial status|payment status|state|स्थिति"),
    _t("description", _("description"), "description|item|items|product|product name|line item|lineitem name|subject|title|विवरण"),
    _t("contact", _("contact (email or name)"), "contact|email|customer email|contact email|billing email|buyer email|contact name|customer|customer name|buyer|संपर्क|ग्राहक"),
    *_COMPANY_REFS,
)  # fmt: skip

_ACTIVITY = (
    _t("kind", _("activity type"), "type|activity type|kind|task subtype|activity kind|event type|engagement type|प्रकार"),
    _t("subject", _("subject"), "subject|activity subject|task subject|title|task title|call title|meeting title|activity name|topic|विषय"),
    _t("body", _("details"), "details|notes|note|description|body|comments|comment|call notes|meeting notes|task notes|content|note content|activity note|विवरण"),
    _t("when", _("date and time"), "due date|due|date|activity date|due date time|start|start time|start date|start date time|starts at|occurred at|call date|meeting date|date time|datetime|activity date time|timestamp|तारीख"),
    _t("time", _("time of day"), "due time|time|activity time|call time|समय"),
    _t("ends_at", _("ends at"), "end|end time|ends at|end date|end date time"),
    _t("duration", _("duration"), "duration|call duration|activity duration|meeting duration|length|अवधि"),
    _t("done", _("done"), "done|completed|is completed|is done|marked as done", "status"),
    _t("priority", _("priority"), "priority|task priority|प्राथमिकता"),
    _t("direction", _("direction"), "direction|call direction|call type"),
    _t("outcome", _("outcome"), "outcome|call outcome|call result|result|disposition"),
    _t("location", _("place"), "location|place|venue|meeting location|address|स्थान"),
    _t("time_zone", _("time zone"), "time zone|timezone|tz"),
    _t("contact", _("contact (email or name)"), "contact|contact email|contact name|contact person|person|associated contact|related contact|who|संपर्क", "email|name"),
    *_COMPANY_REFS,
    _t("deal", _("deal name"), "deal|deal name|deal title|opportunity|opportunity name|associated deal|related deal|सौदा"),
    _t("owner", _("owner"), "owner|assigned to|assigned|assigned to user|activity owner|task owner|assigned user|owner email|स्वामी", "user"),
)  # fmt: skip

_TARGETS: dict[str, tuple[Target, ...]] = {
    "contact": _CONTACT,
    "account": _ACCOUNT,
    "deal": _DEAL,
    "order": _ORDER,
    "activity": _ACTIVITY,
}
# The entity a column name may start with, in exports that hold several (Pipedrive, Salesforce
# reports): "Person - Email" is tried as "email" too for contacts.
_PREFIXES = {
    "contact": ("person", "contact", "people", "lead"),
    "account": ("organization", "organisation", "company", "account", "org"),
    "deal": ("deal", "opportunity"),
    "order": ("order", "sales order", "invoice"),
    "activity": ("activity", "task", "call", "meeting", "event", "engagement"),
}

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD_RE = re.compile(r"[^\w\u0900-\u097f]+")


def normalise_header(text: str) -> str:
    """A column name reduced to what identifies it: Unicode-normalised, words split at
    camelCase (``MailingPostalCode`` is "mailing postal code"), punctuation and underscores
    made spaces, lower case. Devanagari is kept as it is (its vowel signs are letters)."""
    text = unicodedata.normalize("NFKC", text or "").replace("\ufeff", "").strip()
    text = _CAMEL_RE.sub(" ", text)
    text = _NON_WORD_RE.sub(" ", text.replace("_", " ")).casefold()
    return " ".join(text.split())


def _model(object_type: ObjectType) -> type:
    from sambandh.contacts.models import Account, Contact

    return Contact if object_type == "contact" else Account


def _labels(object_type: ObjectType, target: Target) -> list[str]:
    """The target's label in English and in Hindi (a model field's verbose_name, or the
    target's own translated label)."""
    label: StrOrPromise = target.label
    if target.model_field:
        try:
            label = _model(object_type)._meta.get_field(target.name).verbose_name  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a pseudo-field has no model field
            label = target.name
    found = []
    for language in ("en", "hi"):
        with translation.override(language):
            found.append(str(label))
    return found


def targets(object_type: ObjectType, custom_fields: Iterable[CustomFieldLike] = ()) -> list[Target]:
    """The fields a column of an ``object_type`` file can map to: ours, then custom ones."""
    found = list(_TARGETS[object_type])
    for definition in custom_fields:
        found.append(
            Target(
                name=f"cf.{definition.key}",
                label=definition.label_en or definition.key,
                aliases=tuple(
                    a for a in (definition.key, definition.label_en, definition.label_hi) if a
                ),
                model_field=False,
            )
        )
    return found


@functools.cache
def _builtin_keys(object_type: ObjectType) -> dict[str, tuple[tuple[str, float], ...]]:
    return _keys(object_type, _TARGETS[object_type])


def _keys(
    object_type: ObjectType, items: Iterable[Target]
) -> dict[str, tuple[tuple[str, float], ...]]:
    """normalised name -> ((target, confidence), ...), best first."""
    keys: dict[str, dict[str, float]] = {}

    def add(text: str, target: str, confidence: float) -> None:
        key = normalise_header(text)
        if key:
            slot = keys.setdefault(key, {})
            slot[target] = max(slot.get(target, 0.0), confidence)

    for target in items:
        add(target.name, target.name, EXACT)
        if target.model_field or not target.name.startswith("cf."):
            for label in _labels(object_type, target):
                add(label, target.name, EXACT)
        for alias in target.aliases:
            add(alias, target.name, ALIAS)
        for alias in target.weak_aliases:
            add(alias, target.name, WEAK)
    return {
        key: tuple(sorted(found.items(), key=lambda item: -item[1])) for key, found in keys.items()
    }


def _candidates(
    header: str,
    object_type: ObjectType,
    keys: dict[str, tuple[tuple[str, float], ...]],
) -> list[tuple[str, float, Match]]:
    key = normalise_header(header)
    if not key:
        return []
    tries = [(key, 1.0)]
    # "Email (2)" (a renamed duplicate) is an "email 2"; the prefix-less form of
    # "Person - Email" is "email".
    for prefix in _PREFIXES[object_type]:
        if key.startswith(prefix + " ") and len(key) > len(prefix) + 1:
            tries.append((key[len(prefix) + 1 :], 0.95))
    found: dict[str, tuple[float, Match]] = {}
    for text, factor in tries:
        for target, confidence in keys.get(text, ()):
            score = round(confidence * factor, 3)
            match = Match.EXACT if confidence >= EXACT and factor == 1.0 else Match.ALIAS
            if score > found.get(target, (0.0, Match.NONE))[0]:
                found[target] = (score, match)
    if not found:
        # A misspelt or decorated name: the nearest known one, never as sure as a known name.
        for choice, score, _index in process.extract(
            key, list(keys), scorer=fuzz.ratio, limit=3, score_cutoff=FUZZY_MIN_SCORE
        ):
            for target, confidence in keys[choice]:
                value = round(min(confidence * score / 100, FUZZY_MAX), 3)
                if value > found.get(target, (0.0, Match.NONE))[0]:
                    found[target] = (value, Match.FUZZY)
    return sorted(((t, c, m) for t, (c, m) in found.items()), key=lambda item: -item[1])


def suggest_mapping(
    headers: Sequence[str],
    *,
    object_type: ObjectType,
    custom_fields: Iterable[CustomFieldLike] = (),
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> list[Suggestion]:
    """One suggestion per header, in order. Each target is given to one column (the surest;
    ``multiple`` targets may take several), so "Mobile Phone" goes to ``phone`` only when no
    "Phone" column claims it, else to ``other_phones``. Below ``min_confidence``: no target."""
    custom = list(custom_fields)
    keys = dict(_builtin_keys(object_type))
    if custom:
        for key, found in _keys(
            object_type, targets(object_type, custom)[len(_TARGETS[object_type]) :]
        ).items():
            # A custom field's exact name beats a weak built-in reading of it.
            keys[key] = tuple(sorted((*keys.get(key, ()), *found), key=lambda item: -item[1]))
    multiple = {t.name for t in targets(object_type, custom) if t.multiple}
    options = [
        (confidence, -column, column, target, match)
        for column, header in enumerate(headers)
        for target, confidence, match in _candidates(header, object_type, keys)
        if confidence >= min_confidence
    ]
    chosen: dict[int, tuple[str, float, Match]] = {}
    taken: set[str] = set()
    for confidence, _order, column, target, match in sorted(options, reverse=True):
        if column in chosen or (target in taken and target not in multiple):
            continue
        chosen[column] = (target, confidence, match)
        taken.add(target)
    return [
        Suggestion(column, header, *chosen[column])
        if column in chosen
        else Suggestion(column, header, None, 0.0, Match.NONE)
        for column, header in enumerate(headers)
    ]


def check_mapping(
    mapping: Sequence[str | None],
    *,
    headers: Sequence[str],
    object_type: ObjectType,
    custom_fields: Iterable[CustomFieldLike] = (),
) -> list[Problem]:
    """What is wrong with a chosen mapping (one target or ``None`` per column): an unknown
    target, one that takes a single column chosen twice, or no column to tell records apart
    (a contact needs a name or an email; a company its name)."""
    known = {t.name: t for t in targets(object_type, custom_fields)}
    problems: list[Problem] = []
    used: dict[str, str] = {}
    for header, target in zip(headers, mapping, strict=True):
        if target is None:
            continue
        if target not in known:
            problems.append(
                Problem.make(
                    "unknown_target",
                    _("“%(target)s” is not a field that can be imported."),
                    field=header,
                    target=target,
                )
            )
        elif target in used and not known[target].multiple:
            problems.append(
                Problem.make(
                    "target_twice",
                    _(
                        "The columns “%(first)s” and “%(second)s” both go to the same field; choose one."
                    ),
                    field=header,
                    first=used[target],
                    second=header,
                )
            )
        else:
            used.setdefault(target, header)
    if object_type in RECORD_KINDS:
        problems += _check_record_mapping(object_type, used)
        return problems
    identity = (
        {"first_name", "last_name", "full_name", "email", "external_id"}
        if object_type == "contact"
        else {"name", "external_id"}
    )
    if not identity & used.keys():
        problems.append(
            Problem.make(
                "no_identity",
                _("Map a column to the name or the email, so each row can be recognised.")
                if object_type == "contact"
                else _("Map a column to the company name, so each row can be recognised."),
            )
        )
    return problems


def _check_record_mapping(object_type: str, used: Mapping[str, str]) -> list[Problem]:
    """The columns a deal, an order or an activity cannot do without: what recognises the row
    (a deal's name, an activity's subject, an order's amount) and whom it belongs to."""
    problems: list[Problem] = []
    if object_type == "deal" and "name" not in used:
        problems.append(
            Problem.make(
                "no_identity",
                _("Map a column to the deal name, so each row can be recognised."),
            )
        )
    if object_type == "order":
        if "amount" not in used:
            problems.append(
                Problem.make("no_amount", _("Map a column to the amount of the order."))
            )
        if not {"contact", "account_name", "account_domain"} & used.keys():
            problems.append(
                Problem.make(
                    "no_buyer",
                    _("Map a column to the contact or the company who bought."),
                )
            )
    if object_type == "activity":
        if "subject" not in used:
            problems.append(
                Problem.make(
                    "no_identity",
                    _("Map a column to the subject, so each row can be recognised."),
                )
            )
        if not {"contact", "account_name", "account_domain", "deal"} & used.keys():
            problems.append(
                Problem.make(
                    "no_parent",
                    _("Map a column to the contact, the company or the deal of each activity."),
                )
            )
    return problems

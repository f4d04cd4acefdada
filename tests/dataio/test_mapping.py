"""Mapping suggestions for the exports of other CRMs, our own labels, custom fields, checks."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sambandh.dataio.mapping import (
    Match,
    check_mapping,
    normalise_header,
    suggest_mapping,
    targets,
)
from sambandh.dataio.readers import VCARD_HEADERS


def mapped(headers, object_type="contact", **kwargs):
    return {s.header: s.target for s in suggest_mapping(headers, object_type=object_type, **kwargs)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("First Name", "first name"),
        ("FirstName", "first name"),
        ("MailingPostalCode", "mailing postal code"),
        ("HasOptedOutOfEmail", "has opted out of email"),
        ("first_name", "first name"),
        ("Person - Email - Work", "person email work"),
        ("State/Region", "state region"),
        ("\ufeffE-Mail ", "e mail"),
        ("पहला नाम", "पहला नाम"),
    ],
)
def test_headers_are_normalised(raw, expected):
    assert normalise_header(raw) == expected


def test_hubspot_contact_export():
    headers = [
        "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Mobile Phone Number",
        "Company Name", "Job Title", "Lifecycle Stage", "Contact owner", "Street Address", "City",
        "State/Region", "Postal Code", "Country/Region", "Original Source", "Create Date",
    ]  # fmt: skip
    assert mapped(headers) == {
        "Record ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "other_phones",
        "Company Name": "account_name",
        "Job Title": "job_title",
        "Lifecycle Stage": "lifecycle_stage",
        "Contact owner": "owner",
        "Street Address": "street",
        "City": "city",
        "State/Region": "state",
        "Postal Code": "postal_code",
        "Country/Region": "country",
        "Original Source": "source",
        "Create Date": None,
    }


def test_salesforce_contact_export():
    headers = [
        "Id", "Salutation", "FirstName", "LastName", "Email", "Phone", "MobilePhone",
        "Account Name", "Title", "MailingStreet", "MailingCity", "MailingState",
        "MailingPostalCode", "MailingCountry", "Birthdate", "LeadSource", "HasOptedOutOfEmail",
        "Description",
    ]  # fmt: skip
    assert mapped(headers) == {
        "Id": "external_id",
        "Salutation": "salutation",
        "FirstName": "first_name",
        "LastName": "last_name",
        "Email": "email",
        "Phone": "phone",
        "MobilePhone": "other_phones",
        "Account Name": "account_name",
        "Title": "job_title",
        "MailingStreet": "street",
        "MailingCity": "city",
        "MailingState": "state",
        "MailingPostalCode": "postal_code",
        "MailingCountry": "country",
        "Birthdate": "birthday",
        "LeadSource": "source",
        "HasOptedOutOfEmail": "do_not_contact",
        "Description": "note",
    }


def test_zoho_contact_export():
    headers = [
        "Record Id", "Contact Owner", "First Name", "Last Name", "Account Name", "Email",
        "Secondary Email", "Phone", "Mobile", "Title", "Mailing Street", "Mailing City",
        "Mailing State", "Mailing Zip", "Mailing Country", "Date of Birth", "Email Opt Out",
        "Lead Source", "Tag",
    ]  # fmt: skip
    assert mapped(headers) == {
        "Record Id": "external_id",
        "Contact Owner": "owner",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Account Name": "account_name",
        "Email": "email",
        "Secondary Email": "other_emails",
        "Phone": "phone",
        "Mobile": "other_phones",
        "Title": "job_title",
        "Mailing Street": "street",
        "Mailing City": "city",
        "Mailing State": "state",
        "Mailing Zip": "postal_code",
        "Mailing Country": "country",
        "Date of Birth": "birthday",
        "Email Opt Out": "do_not_contact",
        "Lead Source": "source",
        "Tag": "tags",
    }


def test_pipedrive_person_export():
    headers = [
        "Person - ID", "Person - Name", "Person - Email - Work", "Person - Email - Home",
        "Person - Phone - Work", "Person - Phone - Mobile", "Organization - Name",
        "Person - Owner", "Person - Label",
    ]  # fmt: skip
    assert mapped(headers) == {
        "Person - ID": "external_id",
        "Person - Name": "full_name",
        "Person - Email - Work": "email",
        "Person - Email - Home": "other_emails",
        "Person - Phone - Work": "phone",
        "Person - Phone - Mobile": "other_phones",
        "Organization - Name": "account_name",
        "Person - Owner": "owner",
        "Person - Label": "tags",
    }


def test_pipedrive_organisation_export_for_companies():
    headers = [
        "Organization - ID", "Organization - Name", "Organization - Address",
        "Organization - Owner", "Organization - Website", "Number of employees",
        "Annual Revenue", "Industry", "Parent Company", "Phone",
    ]  # fmt: skip
    assert mapped(headers, "account") == {
        "Organization - ID": "external_id",
        "Organization - Name": "name",
        "Organization - Address": "street",
        "Organization - Owner": "owner",
        "Organization - Website": "website",
        "Number of employees": "size_band",
        "Annual Revenue": "annual_revenue",
        "Industry": "industry",
        "Parent Company": "parent",
        "Phone": "phone",
    }


def test_only_mobile_goes_to_the_main_phone():
    assert mapped(["Name", "Mobile"]) == {"Name": "full_name", "Mobile": "phone"}


def test_our_own_field_names_and_hindi_labels_are_exact_matches():
    suggestions = suggest_mapping(
        ["first_name", "पहला नाम", "ईमेल", "शहर", "देश", "नाम"], object_type="contact"
    )
    assert [(s.target, s.match) for s in suggestions] == [
        ("first_name", Match.EXACT),
        (None, Match.NONE),  # first_name is taken by the column before
        ("email", Match.EXACT),
        ("city", Match.EXACT),
        ("country", Match.EXACT),
        ("full_name", Match.ALIAS),
    ]
    assert suggestions[0].confidence == 1.0


def test_vcard_columns_map_to_themselves():
    assert {h: t for h, t in mapped(list(VCARD_HEADERS)).items() if h != t} == {"website": None}


def test_misspelt_headers_match_fuzzily_with_less_confidence():
    suggestions = suggest_mapping(
        ["Frist Name", "E-mail Adress", "Favourite colour"], object_type="contact"
    )
    assert [(s.target, s.match) for s in suggestions] == [
        ("first_name", Match.FUZZY),
        ("email", Match.FUZZY),
        (None, Match.NONE),
    ]
    assert all(s.confidence <= 0.9 for s in suggestions)


@dataclass
class Definition:
    key: str
    label_en: str
    label_hi: str = ""


def test_unmapped_headers_go_to_custom_fields_by_key_or_label():
    custom = [
        Definition("gst_number", "GST number", "जीएसटी नंबर"),
        Definition("tier", "Loyalty tier"),
    ]
    assert mapped(
        ["Email", "GST Number", "loyalty tier", "जीएसटी नंबर", "Shoe size"], custom_fields=custom
    ) == {
        "Email": "email",
        "GST Number": "cf.gst_number",
        "loyalty tier": "cf.tier",
        "जीएसटी नंबर": None,  # the field is taken by the column before
        "Shoe size": None,
    }
    assert [t.name for t in targets("contact", custom)][-2:] == ["cf.gst_number", "cf.tier"]


def test_a_higher_minimum_confidence_leaves_weak_matches_unmapped():
    assert mapped(["Mobile", "Email"], min_confidence=0.9) == {"Mobile": None, "Email": "email"}


def test_check_mapping_accepts_a_good_one():
    assert (
        check_mapping(["email", "full_name", None], headers=["E", "N", "X"], object_type="contact")
        == []
    )


def test_check_mapping_reports_unknown_twice_and_no_identity():
    problems = check_mapping(
        ["city", "city", "nonsense", "other_phones", "other_phones"],
        headers=["A", "B", "C", "D", "E"],
        object_type="contact",
    )
    assert [(p.code, p.field) for p in problems] == [
        ("target_twice", "B"),
        ("unknown_target", "C"),
        ("no_identity", ""),
    ]
    assert (
        str(problems[0].message) == "The columns “A” and “B” both go to the same field; choose one."
    )


def test_check_mapping_for_companies_needs_the_name():
    problems = check_mapping(["domain"], headers=["Domain"], object_type="account")
    assert [p.code for p in problems] == ["no_identity"]
    assert (
        str(problems[0].message)
        == "Map a column to the company name, so each row can be recognised."
    )

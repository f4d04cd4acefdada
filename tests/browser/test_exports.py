"""Exports in Debian's chromium over real HTTP: the deals list filtered with htmx exports what
it shows (the form follows the address bar), and a large export goes to "Your exports", whose
row turns into a download once the worker (played by calling the task's body) has written it."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from sambandh.dataio.exports.models import ExportJob
from sambandh.dataio.exports.services import export_job_run
from sambandh.sales.models import Stage
from sambandh.sales.services.deals import deal_create, deal_move_stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _names(text: str) -> list[str]:
    return [row["name"] for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))]


def test_the_filtered_list_is_exported_and_a_large_export_waits_for_its_worker(
    page, screenshot, manager, tmp_path, settings
) -> None:
    settings.DATA_DIR = tmp_path
    won = deal_create(actor=manager, data={"name": "Won deal", "amount": "100"})
    deal_move_stage(
        actor=manager,
        deal=won,
        stage=Stage.objects.get(pipeline__is_default=True, label_en="Won"),
        version=1,
    )
    for name in ("Open one", "Open two"):
        deal_create(actor=manager, data={"name": name, "amount": "10"})
    page.goto("/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_test_id("login-submit").click()

    page.goto("/sales/deals/")
    page.locator("#filter-status").select_option("won")
    expect(page.get_by_test_id("deal-row")).to_have_count(1)
    page.get_by_test_id("export-menu").locator("summary").click()
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    assert _names(download.value.path().read_text(encoding="utf-8")) == ["Won deal"]

    settings.SAMBANDH_EXPORT_BACKGROUND_ROWS = 2
    page.goto("/sales/deals/?sort=name")
    page.get_by_test_id("export-menu").locator("summary").click()
    page.get_by_test_id("export-csv").click()
    page.wait_for_url("**/exports/")
    row = page.get_by_test_id("export-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("export-status")).to_have_text("Waiting to start")
    screenshot("queued")
    export_job_run(ExportJob.objects.get().pk)
    expect(row.get_by_test_id("export-status")).to_have_text("Ready")  # the rows poll
    expect(row.get_by_test_id("export-rows")).to_have_text("3")
    with page.expect_download() as download:
        row.get_by_test_id("export-download").click()
    assert _names(download.value.path().read_text(encoding="utf-8")) == [
        "Open one",
        "Open two",
        "Won deal",
    ]
    screenshot("ready")

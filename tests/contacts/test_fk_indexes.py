"""Foreign keys served by a composite (key, id) index carry no one-column index of their own
(migrations contacts 0007 and dataio 0003), and every foreign key of these models still has
an index that starts with it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Model

from sambandh.contacts.models import Account, Contact
from sambandh.dataio.models import ImportChange

SERVED = {
    Contact: ["account_id", "lifecycle_stage_id", "owner_id", "team_id", "territory_id"],
    Account: ["owner_id", "team_id", "territory_id"],
    ImportChange: ["job_id"],
}
MODELS = pytest.mark.parametrize(
    "model", [Contact, Account, ImportChange], ids=["contact", "account", "import_change"]
)


def _indexes(model: type[Model]) -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [c["columns"] for c in constraints.values() if c["index"] and c["columns"]]


@pytest.mark.django_db
@MODELS
def test_served_keys_have_only_their_composite_index(model: type[Model]) -> None:
    indexes = _indexes(model)
    for column in SERVED[model]:
        assert [column] not in indexes, f"{column} still has a one-column index"
        assert [column, "id"] in indexes, f"{column} lost its composite (key, id) index"


@pytest.mark.django_db
@MODELS
def test_every_foreign_key_leads_an_index(model: type[Model]) -> None:
    leading = {columns[0] for columns in _indexes(model)}
    keys = [f.column for f in model._meta.local_concrete_fields if f.is_relation]
    assert keys, "the model has foreign keys"
    assert [k for k in keys if k not in leading] == []

from __future__ import annotations

import threading

import pytest
from django.db import connection

from sambandh.core.audit import audit_verify
from sambandh.core.models import AuditEntry
from tests.factories import make_contact


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_one_unbroken_chain(owner):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                make_contact(owner, first_name=f"W{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert AuditEntry.objects.filter(object_type="contact", action="create").count() == 40
    result = audit_verify()
    assert result.ok, result
    assert result.checked == AuditEntry.objects.count()

"""The Django side of the event crash test and bench, run as
``python -m tests.automation.crash_events <command>`` against a database of its own
(``SAMBANDH_DATA_DIR`` or ``DATABASE_URL``). Commands: ``setup <receiver url> <events>``
(migrate, an administrator, an endpoint on the receiver, loopback allowed, the events emitted
in transactions of 100, as services emit them) and ``status`` (delivery counts as JSON)."""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count

    from sambandh.automation.models import Delivery
    from sambandh.automation.services import allowed_network_add, endpoint_create
    from sambandh.core.events import event_emit
    from sambandh.core.models import OutboxEvent, User

    if argv[0] == "setup":
        call_command("migrate", verbosity=0)
        admin = User.objects.create_superuser("crash", "crash@example.in", "a-long-password-1")
        allowed_network_add(actor=admin, network="127.0.0.1", note="crash test receiver")
        endpoint_create(actor=admin, data={"url": argv[1], "event_types": ["*"]})
        total = int(argv[2])
        for start in range(0, total, 100):
            with transaction.atomic():
                for n in range(start, min(start + 100, total)):
                    event_emit(
                        name="contact.updated",
                        actor=admin,
                        object_type="contact",
                        object_id=n,
                        payload={"id": n},
                    )
        print(json.dumps({"events": OutboxEvent.objects.count()}))
    elif argv[0] == "status":
        states = dict(Delivery.objects.values_list("state").annotate(n=Count("id")))
        undispatched = OutboxEvent.objects.filter(dispatched_at__isnull=True).count()
        print(json.dumps({"states": states, "undispatched": undispatched}))


if __name__ == "__main__":
    main(sys.argv[1:])

"""A stand-alone import worker for the crash test: run as ``python -m tests.dataio.crash_worker
<command>`` with ``SAMBANDH_DATA_DIR`` (and ``DATABASE_URL`` for PostgreSQL) naming a database
of its own. Commands: ``setup <rows>`` (migrate, a user, an uploaded and started import; prints
the job id), ``run <job>`` (the worker: ``import_run``), ``resume`` (what the periodic task
does, then the worker for each woken job), ``status <job>`` (JSON counts)."""

from __future__ import annotations

import io
import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from sambandh.contacts.models import Contact
    from sambandh.core.models import User
    from sambandh.dataio.models import ImportJob
    from sambandh.dataio.services import (
        import_job_configure,
        import_job_create,
        import_job_start,
        import_run,
        imports_resume,
    )

    command = argv[0]
    if command == "setup":
        call_command("migrate", verbosity=0)
        user = User.objects.create_superuser("crash", "crash@example.in", "a-long-password-1")
        rows = int(argv[1])
        text = "Name,Email\n" + "".join(f"Person {i},p{i}@example.in\n" for i in range(rows))
        job = import_job_create(
            actor=user, object_type="contact", upload=io.BytesIO(text.encode()), filename="c.csv"
        )
        job = import_job_configure(actor=user, job=job, mapping=job.mapping)
        import_job_start(actor=user, job=job)
        print(job.pk)
    elif command == "run":
        import_run(int(argv[1]))
    elif command == "resume":
        from django.db import transaction

        with transaction.atomic():  # the wake-ups are queued on commit; the worker runs them here
            woken = imports_resume()
        for pk in woken:
            import_run(pk)
        print(json.dumps(woken))
    elif command == "status":
        job = ImportJob.objects.get(pk=int(argv[1]))
        print(
            json.dumps(
                {
                    "status": job.status,
                    "processed_row": job.processed_row,
                    "processed_count": job.processed_count,
                    "created": job.created_count,
                    "contacts": Contact.objects.count(),
                    "distinct": Contact.objects.values("email").distinct().count(),
                }
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])

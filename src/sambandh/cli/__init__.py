"""The ``sambandh`` command: serve, worker, demo, createadmin, audit verify, migrate, manage."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sambandh.settings")
    import django

    django.setup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sambandh", description="Sambandh, an open-source CRM, at home in Hindi as in English."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="migrate, collect static files, then run the web server and the worker"
    )
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=int, default=2, help="web server processes (default 2)")
    serve.add_argument(
        "--demo", action="store_true", help="load demo data when there are no contacts yet"
    )

    worker = commands.add_parser("worker", help="run the background task consumer only")
    worker.add_argument("--workers", type=int, default=None, help="consumer threads")

    demo = commands.add_parser("demo", help="load demo users, companies and contacts")
    demo.add_argument("--contacts", type=int, default=200, help="how many contacts (default 200)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default 1)")

    createadmin = commands.add_parser("createadmin", help="create an administrator")
    createadmin.add_argument("--username", default=None)
    createadmin.add_argument("--email", default=None)
    createadmin.add_argument(
        "--password", default=None, help="omit to be asked, or to get a generated one"
    )

    audit = commands.add_parser("audit", help="audit trail tools")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    audit_commands.add_parser("verify", help="check the hash chain of the audit trail")

    commands.add_parser("migrate", help="create or update the database tables")

    manage = commands.add_parser("manage", help="run any Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sambandh`` console script; returns the exit status."""
    args = _parser().parse_args(list(argv) if argv is not None else None)
    _setup()
    handlers = {
        "serve": _serve,
        "worker": _worker,
        "demo": _demo,
        "createadmin": _createadmin,
        "audit": _audit,
        "migrate": _migrate,
        "manage": _manage,
    }
    return handlers[args.command](args)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _migrate(args: argparse.Namespace | None = None, *, verbosity: int = 1) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    return 0


def _admin_lines(username: str, password: str) -> list[str]:
    return [
        "An administrator was created; note the password, it is not shown again:",
        f"  user name: {username}",
        f"  password:  {password}",
    ]


def _serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from sambandh.cli.admins import ensure_admin
    from sambandh.cli.serve import run_servers

    if args.workers < 1:
        _err("--workers must be at least 1")
        return 2
    _migrate(verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    new_admin = ensure_admin()
    if args.demo:
        _load_demo_if_empty()
    lines = [f"Sambandh is running on http://{_url_host(args.host)}:{args.port}"]
    if new_admin is not None:
        lines += _admin_lines(new_admin.user.username, new_admin.password)
    else:
        lines.append("Sign in with your administrator account (`sambandh createadmin` adds one).")
    lines.append("Press Ctrl-C to stop.")
    return run_servers(host=args.host, port=args.port, workers=args.workers, on_ready=lines)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _load_demo_if_empty() -> None:
    from sambandh.contacts.models import Contact

    if Contact.objects.exists():
        print("Contacts exist already: demo data not loaded.", flush=True)
        return
    _run_demo(contacts=200, seed=1)


def _run_demo(*, contacts: int, seed: int) -> int:
    from sambandh.cli.admins import administrators, ensure_admin
    from sambandh.cli.demo import load_demo

    new_admin = ensure_admin()
    if new_admin is not None:
        for line in _admin_lines(new_admin.user.username, new_admin.password):
            print(line, flush=True)
    actor = administrators()[0]
    result = load_demo(
        actor=actor,
        contacts=contacts,
        seed=seed,
        out=lambda text: print(text, flush=True),
        with_sales=True,
    )
    print(
        f"Demo data: {result.companies} companies, {result.contacts:,} contacts "
        f"in {result.total_seconds:.1f} s",
        flush=True,
    )
    if result.bulk_contacts:
        print(
            f"Bulk path: {result.bulk_contacts:,} contacts at "
            f"{result.bulk_rows_per_second:,.0f} rows/s",
            flush=True,
        )
    if result.users:
        print("Demo users (passwords are shown only this once):", flush=True)
        for username, password in result.users.items():
            print(f"  {username:<8} {password}", flush=True)
    return 0


def _demo(args: argparse.Namespace) -> int:
    if args.contacts < 0:
        _err("--contacts must not be negative")
        return 2
    return _run_demo(contacts=args.contacts, seed=args.seed)


def _createadmin(args: argparse.Namespace) -> int:
    from sambandh.cli.admins import admin_create
    from sambandh.core.errors import ValidationError

    interactive = sys.stdin.isatty()
    username = args.username
    if username is None:
        username = (input("User name [admin]: ").strip() if interactive else "") or "admin"
    email = args.email
    if email is None:
        email = input("Email (optional): ").strip() if interactive else ""
    password = args.password
    if password is None and interactive:
        first = getpass.getpass("Password (leave empty to generate one): ")
        if first:
            if getpass.getpass("Password again: ") != first:
                _err("The passwords differ; nothing was created.")
                return 1
            password = first
    try:
        created = admin_create(username=username, email=email, password=password)
    except ValidationError as exc:
        for name, messages in exc.fields.items():
            for message in messages:
                _err(f"{name}: {message}" if name else message)
        _err("Nothing was created.")
        return 1
    print(f"Administrator {created.user.username} created.", flush=True)
    if password is None:
        print(f"  password: {created.password}  (shown only this once)", flush=True)
    return 0


def _audit(args: argparse.Namespace) -> int:
    from sambandh.core.audit import audit_verify

    result = audit_verify()
    if result.ok:
        print(f"ok, {result.checked} entries", flush=True)
        return 0
    _err(f"audit trail broken at entry #{result.seq}: {result.problem}")
    return 1


def _worker(args: argparse.Namespace) -> int:
    import logging

    from django.core.management import call_command

    # run_huey adds its own handler when the "huey" logger has none, on top of the root
    # handler from settings.LOGGING: every line would be printed twice.
    logging.getLogger("huey").addHandler(logging.NullHandler())
    options = {"workers": args.workers} if args.workers else {}
    # Work left by a worker that died (or events written while none ran) waits in the
    # database, not in the queue: look at it at once instead of at the next minute.
    from sambandh.automation.tasks import outbox_pump_task

    outbox_pump_task()
    from sambandh.core.memory import settle

    settle()
    call_command("run_huey", **options)
    return 0


def _manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["sambandh manage", *args.args])
    return 0

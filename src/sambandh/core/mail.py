"""Sending email: one small wrapper over Django's mail, configured in settings (SMTP when
``SAMBANDH_EMAIL_HOST`` is set, else files under the data folder)."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives


def _one_line(text: str) -> str:
    # A newline in a header would be a header injection; Django refuses it, we flatten it.
    return " ".join(text.split())


def mail_send(
    *,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    language: str | None = None,
    from_email: str | None = None,
    message_id: str | None = None,
) -> int:
    """Send one message (plain text, and HTML as an alternative when given) to ``to``.

    ``subject``, ``text`` and ``html`` come already written in the recipient's language;
    ``language`` is declared in the Content-Language header. ``message_id`` (stable for one
    message) lets a receiver recognise a message sent again after a crash. Returns how many
    messages the backend sent (1, or 0 when there was no address); a failure raises.
    """
    recipients = [to] if isinstance(to, str) else list(to)
    recipients = [address.strip() for address in recipients if address and address.strip()]
    if not recipients:
        return 0
    headers = {"Content-Language": language} if language else {}
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=_one_line(subject),
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers=headers,
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message.send(fail_silently=False)

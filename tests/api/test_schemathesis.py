"""The OpenAPI schema is true: schemathesis exercises every operation over real HTTP.

Each operation gets a small, deterministic budget of generated requests (valid and invalid)
sent with an administrator's token to a live server; no response may be a server error,
and every response must match its declared status codes, content type and schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sambandh.core.models import ApiToken, Role, User
from sambandh.core.services import api_token_create, custom_field_create, team_create
from tests.api.routes import api_operations
from tests.factories import make_account, make_contact, make_note, make_user

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 12


@dataclass(frozen=True)
class FuzzAdmin:
    user_id: int
    token_id: int
    raw: str

    def restore(self) -> None:
        """Undo what a generated request may do to the fuzzing admin itself (deactivate it,
        take its role away, revoke its token), so every later request still authenticates."""
        User.objects.filter(pk=self.user_id).update(
            is_active=True, role=Role.objects.get(name="Administrator")
        )
        ApiToken.objects.filter(pk=self.token_id).update(revoked_at=None)


@pytest.fixture
def fuzz_admin(transactional_db: None) -> FuzzAdmin:
    """An administrator's token, and one record of each kind so that ids 1.. exist."""
    admin: User = make_user("fuzz-admin", "Administrator")
    team = team_create(actor=admin, name="North")
    custom_field_create(
        actor=admin,
        data={"object_type": "contact", "key": "tier", "label_en": "Tier", "field_type": "text"},
    )
    account = make_account(admin, name="Acme <b>Ltd</b>", annual_revenue="1250000.50")
    contact = make_contact(admin, email="asha@example.com", account_id=account.pk, team_id=team.pk)
    make_note(admin, contact=contact)
    make_note(admin, account=account)
    token, raw = api_token_create(actor=admin, name="schemathesis")
    return FuzzAdmin(user_id=admin.pk, token_id=token.pk, raw=raw)


def load_schema(live_server: Any) -> Any:
    config = schemathesis.Config.from_dict(
        {
            "seed": 20240601,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json", config=config)


def _run_operation(operation: Any, mode: Any, admin: FuzzAdmin, failures: list[str]) -> None:
    seen: set[str] = set()

    # Shrinking is off: one readable failing request per operation is enough, and fast.
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {admin.raw}"}, checks=CHECKS)
        # Check failures arrive as an exception group; collect them all and report below.
        except (Exception, BaseExceptionGroup) as exc:
            key = f"{operation.label} [{mode.value}]"
            if key not in seen:
                seen.add(key)
                failures.append(f"{key}: {exc}"[:3000])
        finally:
            admin.restore()

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body (GET /health) has nothing to make invalid.
        if mode != GenerationMode.NEGATIVE:
            raise


def test_every_operation_answers_within_its_documented_schema(
    live_server: Any, fuzz_admin: FuzzAdmin
) -> None:
    """Valid and invalid requests to every operation: no 5xx, no undocumented response."""
    schema = load_schema(live_server)
    failures: list[str] = []
    labels: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run_operation(operation, mode, fuzz_admin, failures)
    assert len(labels) == len(api_operations())
    assert failures == [], "\n\n".join(failures)

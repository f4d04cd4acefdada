"""The default pipeline and price book. Idempotent: run by a migration and by test set-up."""

from __future__ import annotations

from typing import Any

# (label_en, label_hi, probability, is_won, is_lost, rot_days)
STAGES = [
    ("Qualification", "योग्यता जाँच", 10, False, False, 14),
    ("Needs analysis", "आवश्यकता विश्लेषण", 25, False, False, 14),
    ("Proposal", "प्रस्ताव", 50, False, False, 21),
    ("Negotiation", "मोलभाव", 75, False, False, 21),
    ("Won", "जीती गई", 100, True, False, None),
    ("Lost", "हारी गई", 0, False, True, None),
]


def ensure_sales_defaults(pipeline_model: Any, stage_model: Any, price_book_model: Any) -> None:
    """A "Sales" pipeline with six stages and a "Standard" price book, unless some exist."""
    if not pipeline_model.objects.exists():
        pipeline = pipeline_model.objects.create(
            label_en="Sales", label_hi="बिक्री", is_default=True, position=0
        )
        for position, (en, hi, probability, won, lost, rot) in enumerate(STAGES):
            stage_model.objects.create(
                pipeline=pipeline,
                label_en=en,
                label_hi=hi,
                position=position,
                probability=probability,
                is_won=won,
                is_lost=lost,
                rot_days=rot,
            )
    if not price_book_model.objects.exists():
        price_book_model.objects.create(name="Standard", is_default=True)

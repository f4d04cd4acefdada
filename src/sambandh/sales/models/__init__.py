"""Sales models, one module per idea; import them from here."""

from __future__ import annotations

from sambandh.sales.models.catalog import (
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    PriceBook,
    PriceBookEntry,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from sambandh.sales.models.deals import (
    Deal,
    DealContact,
    DealContactRole,
    DealLineItem,
    DealStageChange,
    ForecastCategory,
    Pipeline,
    Stage,
)
from sambandh.sales.models.leads import (
    AssignmentRule,
    AssignmentStrategy,
    LeadForm,
    LeadFormSubmission,
    LeadScoreEvent,
    ScoringRule,
    ScoringRuleKind,
    Territory,
)

__all__ = [
    "AssignmentRule",
    "AssignmentStrategy",
    "Deal",
    "DealContact",
    "DealContactRole",
    "DealLineItem",
    "DealStageChange",
    "ForecastCategory",
    "LeadForm",
    "LeadFormSubmission",
    "LeadScoreEvent",
    "Order",
    "OrderLine",
    "OrderSource",
    "OrderStatus",
    "Pipeline",
    "PriceBook",
    "PriceBookEntry",
    "Product",
    "Quote",
    "QuoteLine",
    "QuoteStatus",
    "ScoringRule",
    "ScoringRuleKind",
    "Stage",
    "Territory",
]

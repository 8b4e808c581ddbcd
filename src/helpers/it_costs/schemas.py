"""The inputs ``it_costs`` defines (documented in ``data/README.md``): a FOCUS cost export, ledger postings,
allocation rules, licences, seat use, volumes, expenses and exchange rates."""

from __future__ import annotations

from helpers.analysis.schemas import TIMESTAMP_HELP, Column, Order, Schema

__all__ = ["SCHEMAS", "CLOUD_COSTS", "LEDGER", "ALLOCATION", "LICENCES", "LAST_ACTIVE", "VOLUMES", "EXPENSES", "RATES"]

CLOUD_COSTS = Schema(
    kind="cloud_costs",
    description=(
        "One charge of a FOCUS (FinOps Open Cost and Usage Specification) 1.0-1.2 cost and usage export; "
        "columns as the specification names them, any other columns (x_...) kept."
    ),
    columns=(
        Column("BilledCost", "number", "The charge as invoiced, in BillingCurrency; negative for credits."),
        Column("EffectiveCost", "number",
               "The charge after commitment discounts are amortised, in BillingCurrency; negative for credits."),
        Column("ListCost", "number", "The charge at list prices, in BillingCurrency.", required=False, nullable=True),
        Column("ContractedCost", "number", "The charge at contracted prices, in BillingCurrency.",
               required=False, nullable=True),
        Column("BillingCurrency", "text", "ISO 4217 code of the cost columns' currency, e.g. EUR or USD."),
        Column("ChargePeriodStart", "timestamp", f"Start of the charge's period (inclusive); {TIMESTAMP_HELP}."),
        Column("ChargePeriodEnd", "timestamp",
               f"End of the charge's period (exclusive; not before ChargePeriodStart); {TIMESTAMP_HELP}."),
        Column("ChargeCategory", "text", "Usage, Purchase, Tax, Credit or Adjustment (any case)."),
        Column("ProviderName", "text", "Who made the resource or service available, e.g. AWS, Microsoft."),
        Column("ServiceName", "text", "The provider's service, e.g. Amazon Elastic Compute Cloud.", nullable=True),
        Column("ServiceCategory", "text", "The specification's service category, e.g. Compute, Storage.",
               required=False, nullable=True),
        Column("SubAccountId", "text", "The sub-account (AWS account, Azure subscription, Google project) id.",
               required=False, nullable=True),
        Column("SubAccountName", "text", "The sub-account's name.", required=False, nullable=True),
        Column("ResourceId", "text", "The resource charged for.", required=False, nullable=True),
        Column("RegionName", "text", "The region, e.g. Europe (Frankfurt).", required=False, nullable=True),
        Column("Tags", "text", "Tags as a JSON object in text, e.g. {\"app\": \"webshop\"}.",
               required=False, nullable=True),
        Column("ConsumedQuantity", "number", "Usage measured, in ConsumedUnit.", required=False, nullable=True),
        Column("ConsumedUnit", "text", "Unit of ConsumedQuantity, e.g. Hours, GB.", required=False, nullable=True),
    ),
    order=(Order("ChargePeriodEnd", "ChargePeriodStart", strict=False),),
    empty_words=("NULL",),
)

LEDGER = Schema(
    kind="ledger",
    description="One posting of IT cost in the general ledger (on-premises, people, contracts).",
    columns=(
        Column("period", "timestamp",
               f"The month the cost belongs to (any day in it, e.g. its first); {TIMESTAMP_HELP}."),
        Column("account", "text", "General-ledger account, e.g. 6400 or Salaries IT."),
        Column("cost_center", "text", "Cost center that carries the cost."),
        Column("amount", "number", "Amount in currency; negative for credits and reversals."),
        Column("currency", "text", "ISO 4217 code of amount, e.g. EUR."),
        Column("vendor", "text", "Who was paid.", required=False, nullable=True),
        Column("description", "text", "Posting text (untrusted: never shown).", required=False, nullable=True),
    ),
)

ALLOCATION = Schema(
    kind="allocation",
    description=(
        "One allocation rule (TBM style): costs whose column matches a value go to a cost pool, tower and service."
    ),
    columns=(
        Column("match", "text",
               "The column matched: a FOCUS column (ServiceName, SubAccountName...), Tags.<key>, a ledger column "
               "(account, cost_center, vendor), or * for every cost."),
        Column("value", "text", "The value it must hold: case and surrounding spaces ignored; * matches any characters."),
        Column("cost_pool", "text", "TBM cost pool, e.g. Internal labour, Cloud services, Software."),
        Column("tower", "text", "TBM IT tower, e.g. Compute, Storage, Application."),
        Column("service", "text", "The service the cost belongs to, as the business knows it."),
        Column("consumer", "text", "The business unit that consumes the service.", required=False, nullable=True),
        Column("source", "text", "'cloud' or 'ledger': the costs the rule applies to; empty = both.",
               required=False, nullable=True, allowed=("cloud", "ledger")),
    ),
)

LICENCES = Schema(
    kind="licences",
    description="One licence contract: seats of a product paid for at a unit price.",
    columns=(
        Column("product", "text", "The product, as last_active or the features' application names it."),
        Column("vendor", "text", "Who sells it.", required=False, nullable=True),
        Column("seats", "integer", "Seats paid for (>= 0).", minimum=0),
        Column("unit_price", "number", "Price of one seat for one period, in currency (>= 0).", minimum=0),
        Column("period", "text", "What unit_price pays for: 'month' or 'year'.", allowed=("month", "year")),
        Column("term_start", "timestamp", f"First day of the contract; empty = open; {TIMESTAMP_HELP}.",
               required=False, nullable=True),
        Column("term_end", "timestamp", f"Last day of the contract; empty = open; {TIMESTAMP_HELP}.",
               required=False, nullable=True),
        Column("currency", "text", "ISO 4217 code of unit_price; empty = the analysis currency.",
               required=False, nullable=True),
    ),
    order=(Order("term_end", "term_start"),),
)

LAST_ACTIVE = Schema(
    kind="last_active",
    description="One seat of a licensed product held by a user, with when they last used it.",
    columns=(
        Column("user_id", "text", "Who holds the seat."),
        Column("product", "text", "The licensed product."),
        Column("last_active", "timestamp", f"When they last used it; empty = never; {TIMESTAMP_HELP}.", nullable=True),
    ),
    unique=("user_id", "product"),
)

VOLUMES = Schema(
    kind="volumes",
    description="How many business units (orders, active users, transactions) a service served in a month.",
    columns=(
        Column("period", "timestamp", f"The month (any day in it, e.g. its first); {TIMESTAMP_HELP}."),
        Column("service", "text", "The service, as the allocation names it; empty = the business as a whole.",
               nullable=True),
        Column("unit", "text", "What is counted, e.g. order, active user, transaction."),
        Column("count", "number", "How many in the month (>= 0).", minimum=0),
    ),
)

EXPENSES = Schema(
    kind="expenses",
    description="One expense-report or corporate-card line (for shadow IT).",
    columns=(
        Column("date", "timestamp", f"When it was bought; {TIMESTAMP_HELP}."),
        Column("merchant", "text", "The merchant as the card statement names it."),
        Column("mcc", "text", "Merchant category code (ISO 18245), e.g. 5734.", required=False, nullable=True),
        Column("amount", "number", "Amount in currency; negative for refunds."),
        Column("currency", "text", "ISO 4217 code of amount."),
        Column("cost_center", "text", "Cost center charged.", required=False, nullable=True),
        Column("memo", "text", "The claimant's note (untrusted: matched, never shown).", required=False, nullable=True),
    ),
)

RATES = Schema(
    kind="rates",
    description="An exchange rate into the analysis currency, for every month or for one month.",
    columns=(
        Column("currency", "text", "ISO 4217 code converted from, e.g. USD."),
        Column("rate", "number", "Units of the analysis currency per unit of currency (> 0).", minimum=0),
        Column("month", "timestamp", f"The month it applies to (any day in it); empty = every month; {TIMESTAMP_HELP}.",
               required=False, nullable=True),
    ),
    unique=("currency", "month"),
)

#: In the order ``data/README.md`` documents them.
SCHEMAS = (CLOUD_COSTS, LEDGER, ALLOCATION, LICENCES, LAST_ACTIVE, VOLUMES, EXPENSES, RATES)

"""The demo organisation `okrql seed demo` creates: plain data, no SQL (db/demo.py writes it).

Demo AB sets a company objective for 2026 (the seeds' "grow revenue from 1.5 to 2.5 MUSD this
year to enable expansion") that cascades to department objectives in Q4 2026 for Marketing,
Sales, Product and Customer Success. Marketing carries the ten marketing OKRs of the seed
guides 000 (Swedish) and 001 (Dutch), translated to English, and three sub-teams carry the team
examples of seed 003; the demand-generation team keeps its OKR in Swedish exactly as the seed
writes it. Check-ins run through the quarter up to 2026-11-20 so that objectives are ahead of,
on and behind pace; one milestone is done, one key result has no check-in, one is overdue.
Three key results carry the integration ids (`externalId`) the README's examples push to.

Values are exact decimals written as strings (the database's numeric travels as text);
natural keys (user email, team/cycle name, objective title within its cycle, key-result title
within its objective, check-in measured time within its key result) make seeding idempotent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ORGANIZATION_NAME = "Demo AB"
ORGANIZATION_SLUG = "demo"
TIME_ZONE = "Europe/Stockholm"


@dataclass(frozen=True, slots=True)
class DemoUser:
    name: str
    email: str
    role: str  # member_role


@dataclass(frozen=True, slots=True)
class DemoTeam:
    name: str
    description: str | None
    members: tuple[str, ...]  # emails
    parent: str | None = None  # team name


@dataclass(frozen=True, slots=True)
class DemoCycle:
    name: str
    starts_on: dt.date
    ends_on: dt.date
    parent: str | None = None  # cycle name


@dataclass(frozen=True, slots=True)
class DemoCheckIn:
    measured_at: dt.datetime
    recorded_at: dt.datetime
    confidence: str
    value: str | None = None  # numeric and threshold key results
    done: bool | None = None  # milestones
    comment: str | None = None
    author: str | None = None  # email; None means the key result's owner


@dataclass(frozen=True, slots=True)
class DemoKeyResult:
    title: str
    owner: str  # email
    kind: str = "NUMERIC"
    result_type: str = "RESULT"
    unit: str = "COUNT"
    start: str | None = None
    target: str | None = None
    currency: str | None = None
    unit_label: str | None = None
    threshold_direction: str | None = None
    weight: str = "1"
    cadence: str = "WEEKLY"
    data_source: str | None = None
    description: str | None = None
    check_ins: tuple[DemoCheckIn, ...] = ()
    external_id: str | None = None  # the README's integration examples push values to these


@dataclass(frozen=True, slots=True)
class DemoAlignment:
    """The objective this one supports (by title), optionally one of its key results."""

    parent: str
    weight: str = "1"
    parent_key_result: str | None = None


@dataclass(frozen=True, slots=True)
class DemoObjective:
    title: str
    cycle: str
    level: str
    key_results: tuple[DemoKeyResult, ...]
    team: str | None = None
    owner: str | None = None  # email, PERSON level only
    description: str | None = None
    progress_source: str = "KEY_RESULTS"
    supports: tuple[DemoAlignment, ...] = ()


# --- check-in histories ------------------------------------------------------------------------

_ZONE = ZoneInfo(TIME_ZONE)
# Check-ins are measured at 09:00 local time and typed in a little later.
_MEASURED_AT = dt.time(9, 0)
_RECORDING_DELAY = dt.timedelta(minutes=25)
# The last reporting day of the demo: a Friday, six days before "today" (2026-11-26), so that
# weekly key results are not overdue yet.
LAST_CHECK_IN = dt.date(2026, 11, 20)
_CONFIDENCES = {"on": "ON_TRACK", "risk": "AT_RISK", "off": "OFF_TRACK"}
_STEP_DAYS = {"WEEKLY": 7, "BIWEEKLY": 14}


def _schedule(cadence: str, count: int, until: dt.date) -> list[dt.date]:
    """`count` reporting days at the cadence, the last one `until`, oldest first."""
    if cadence == "MONTHLY":
        days = []
        for back in range(count):
            month_index = until.month - 1 - back
            days.append(
                until.replace(year=until.year + month_index // 12, month=month_index % 12 + 1)
            )
        return sorted(days)
    return sorted(until - dt.timedelta(days=_STEP_DAYS[cadence] * back) for back in range(count))


def _local(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, _MEASURED_AT, tzinfo=_ZONE)


def history(
    cadence: str,
    values: str,
    confidences: str = "on",
    *,
    until: dt.date = LAST_CHECK_IN,
    comments: Mapping[int, str] | None = None,
) -> tuple[DemoCheckIn, ...]:
    """Check-ins at the cadence ending on `until`, one per space-separated value.

    A value is a decimal, or "yes"/"no" for a milestone's done flag. `confidences` holds one
    word (on, risk, off) per value, or a single word for all; `comments` are keyed by the
    check-in's index (negative counts from the newest).
    """
    tokens = values.split()
    moods = confidences.split()
    if len(moods) == 1:
        moods = moods * len(tokens)
    if len(moods) != len(tokens):
        raise ValueError(f"{len(tokens)} values but {len(moods)} confidences")
    notes = {index % len(tokens): text for index, text in (comments or {}).items()}
    check_ins = []
    for index, (day, token, mood) in enumerate(
        zip(_schedule(cadence, len(tokens), until), tokens, moods, strict=True)
    ):
        measured_at = _local(day)
        milestone = token in ("yes", "no")
        check_ins.append(
            DemoCheckIn(
                measured_at=measured_at,
                recorded_at=measured_at + _RECORDING_DELAY,
                confidence=_CONFIDENCES[mood],
                value=None if milestone else token,
                done=(token == "yes") if milestone else None,
                comment=notes.get(index),
            )
        )
    return tuple(check_ins)


def back_dated(
    measured_on: dt.date,
    recorded_on: dt.date,
    value: str,
    confidence: str,
    comment: str | None = None,
    author: str | None = None,
) -> DemoCheckIn:
    """A check-in recorded days after it was measured (and after newer ones were)."""
    return DemoCheckIn(
        measured_at=_local(measured_on),
        recorded_at=_local(recorded_on) + _RECORDING_DELAY,
        confidence=_CONFIDENCES[confidence],
        value=value,
        comment=comment,
        author=author,
    )


# --- people, teams, cycles -------------------------------------------------------------------

ASTRID = "admin@demo.example"
ERIK = "erik.johansson@demo.example"
SANNE = "sanne.devries@demo.example"
LARS = "lars.bergstrom@demo.example"
LINNEA = "linnea.ek@demo.example"
BRAM = "bram.dejong@demo.example"
DAAN = "daan.janssen@demo.example"
MAJA = "maja.nilsson@demo.example"
FEMKE = "femke.bakker@demo.example"
OSKAR = "oskar.hakansson@demo.example"

USERS = (
    DemoUser("Astrid Lindqvist", ASTRID, "ADMIN"),
    DemoUser("Erik Johansson", ERIK, "MEMBER"),
    DemoUser("Sanne de Vries", SANNE, "MEMBER"),
    DemoUser("Lars Bergström", LARS, "MEMBER"),
    DemoUser("Linnea Ek", LINNEA, "MEMBER"),
    DemoUser("Bram de Jong", BRAM, "MEMBER"),
    DemoUser("Daan Janssen", DAAN, "MEMBER"),
    DemoUser("Maja Nilsson", MAJA, "MEMBER"),
    DemoUser("Femke Bakker", FEMKE, "MEMBER"),
    DemoUser("Oskar Håkansson", OSKAR, "VIEWER"),
)

MARKETING = "Marketing"
SALES = "Sales"
PRODUCT = "Product"
CUSTOMER_SUCCESS = "Customer Success"
DEMAND_GENERATION = "Demand Generation"
BRAND = "Brand"
PRODUCT_MARKETING = "Product Marketing"

TEAMS = (
    DemoTeam(
        MARKETING,
        "Brand, content, demand generation and product marketing.",
        (ERIK, SANNE, LARS, LINNEA, BRAM),
    ),
    DemoTeam(SALES, "New business and account executives.", (DAAN, ASTRID)),
    DemoTeam(PRODUCT, "Product management, design and engineering.", (MAJA,)),
    DemoTeam(CUSTOMER_SUCCESS, "Onboarding, renewals and account growth.", (FEMKE,)),
    # The seed 003 team examples, as sub-teams of Marketing. This one keeps its seed text in
    # Swedish, exactly as written there.
    DemoTeam(
        DEMAND_GENERATION,
        "Marknadsteam i en organisation under kraftig tillväxt",
        (LARS, ERIK),
        parent=MARKETING,
    ),
    DemoTeam(BRAND, "The B2C marketing team: visibility and market share.", (LINNEA,), MARKETING),
    DemoTeam(
        PRODUCT_MARKETING,
        "The marketing team of our SaaS product: activity in the product and churn.",
        (BRAM,),
        parent=MARKETING,
    ),
)

YEAR = "2026"
Q4 = "Q4 2026"

CYCLES = (
    DemoCycle(YEAR, dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    DemoCycle("Q1 2026", dt.date(2026, 1, 1), dt.date(2026, 3, 31), YEAR),
    DemoCycle("Q2 2026", dt.date(2026, 4, 1), dt.date(2026, 6, 30), YEAR),
    DemoCycle("Q3 2026", dt.date(2026, 7, 1), dt.date(2026, 9, 30), YEAR),
    DemoCycle(Q4, dt.date(2026, 10, 1), dt.date(2026, 12, 31), YEAR),
)

# --- objectives ------------------------------------------------------------------------------

COMPANY_OBJECTIVE = "Grow revenue from 1.5 to 2.5 MUSD this year to enable expansion"
LEADS_OBJECTIVE = "Increase the number of leads generated"
SALES_OBJECTIVE = "Grow the sales pipeline"
PRODUCT_OBJECTIVE = "Turn more trials into paying customers"
CUSTOMER_SUCCESS_OBJECTIVE = "Grow existing accounts"
SEO_OBJECTIVE = "Improve on-page SEO"
KEYWORD_STRATEGY_KR = "Develop a site-wide keyword strategy"
PRODUCT_ACTIVITY_OBJECTIVE = "Increase activity in our product to reduce churn"

# The seed 003 example kept in Swedish, verbatim.
SWEDISH_OBJECTIVE = "Öka antalet leads för att stötta vår försäljningstillväxt"
SWEDISH_DESCRIPTION = (
    "Denna OKR fokuserar på att stötta försäljningen i bolaget genom att leverera leads."
)
COST_PER_LEAD_KR = "Minska kostnaden per lead med 10% (från 1300 kr till 1170 kr)"

_COMPANY = DemoObjective(
    title=COMPANY_OBJECTIVE,
    cycle=YEAR,
    level="COMPANY",
    progress_source="BOTH",
    description=(
        "Revenue growth that funds our territorial expansion. No department owns it alone: "
        "marketing generates leads, sales closes them, product turns trials into customers and "
        "customer success grows the accounts we have."
    ),
    key_results=(
        DemoKeyResult(
            "Grow annual revenue from 1.5 to 2.5 MUSD",
            ASTRID,
            unit="CURRENCY",
            currency="USD",
            start="1500000",
            target="2500000",
            weight="2",
            cadence="MONTHLY",
            data_source="CRM (closed-won deals)",
            check_ins=history(
                "MONTHLY",
                "1500000 1540000 1590000 1650000 1700000 1745000 1790000 1860000 1930000 "
                "2010000 2080000",
                "on on on on on on on risk risk risk risk",
                comments={7: "Summer deals slipped; Q4 pipeline has to close the gap."},
            ),
        ),
        DemoKeyResult(
            "Open sales in two new territories",
            ASTRID,
            result_type="ACTIVITY",
            start="0",
            target="2",
            cadence="MONTHLY",
            data_source="Board report",
            check_ins=history(
                "MONTHLY",
                "0 0 1 1 1",
                "on on on risk risk",
                comments={2: "Benelux office opened in Amsterdam."},
            ),
        ),
    ),
)

_LEADS = DemoObjective(
    title=LEADS_OBJECTIVE,
    cycle=Q4,
    level="TEAM",
    team=MARKETING,
    progress_source="BOTH",
    description=(
        "Leads drive the sales engine: they fill the top of the pipeline and let sales nurture "
        "prospects and close deals."
    ),
    supports=(DemoAlignment(COMPANY_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "A/B test five different CTA copy options",
            LARS,
            result_type="ACTIVITY",
            start="0",
            target="5",
            cadence="BIWEEKLY",
            data_source="Website A/B testing tool",
            check_ins=history("BIWEEKLY", "1 2 3 4"),
        ),
        DemoKeyResult(
            "Publish a new lead-generation e-book this quarter",
            SANNE,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="MONTHLY",
            check_ins=history(
                "MONTHLY",
                "no no",
                "on risk",
                comments={-1: "Draft is with design; launch moved to 7 December."},
            ),
        ),
        DemoKeyResult(
            "Raise email marketing click-through rate from 10% to 15%",
            LARS,
            unit="PERCENT",
            start="10",
            target="15",
            data_source="Email platform",
            check_ins=history("WEEKLY", "10.1 10.2 10.8 11.1 11.9 12.4 12.6 13.1"),
        ),
        DemoKeyResult(
            "Grow our organic social media following to 5,000",
            LINNEA,
            start="3400",
            target="5000",
            data_source="Social media analytics",
            check_ins=history(
                "WEEKLY",
                "3410 3460 3530 3610 3680 3790 3850 3920",
                "on on on risk risk risk risk risk",
            ),
        ),
        DemoKeyResult(
            "Publish a post on the company LinkedIn page every day",
            LINNEA,
            kind="THRESHOLD",
            result_type="ACTIVITY",
            unit="CUSTOM",
            unit_label="posts per week",
            target="7",
            threshold_direction="AT_LEAST",
            data_source="LinkedIn page analytics",
            check_ins=history(
                "WEEKLY",
                "7 7 7 6 7 7 5 7",
                "on on on risk on on risk on",
                comments={6: "Two sick days in the team."},
            ),
        ),
        DemoKeyResult(
            "Grow new MQLs (marketing qualified leads) by 5% month over month",
            ERIK,
            kind="THRESHOLD",
            unit="PERCENT",
            target="5",
            threshold_direction="AT_LEAST",
            cadence="MONTHLY",
            data_source="CRM",
            check_ins=history(
                "MONTHLY",
                "6.1 4.2",
                "on off",
                comments={-1: "Webinar leads slipped into December."},
            ),
        ),
    ),
)

_SALES = DemoObjective(
    title=SALES_OBJECTIVE,
    cycle=Q4,
    level="TEAM",
    team=SALES,
    description="Measured by growth in qualified pipeline and in average deal size.",
    supports=(DemoAlignment(COMPANY_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Grow qualified pipeline by 20% (from 400,000 to 480,000 EUR)",
            DAAN,
            unit="CURRENCY",
            currency="EUR",
            start="400000",
            target="480000",
            data_source="CRM",
            external_id="hubspot-deals-q4",
            check_ins=(
                *history("WEEKLY", "403000 405000 412000 421000 433000 441000 452000 466000"),
                back_dated(
                    dt.date(2026, 11, 13),
                    dt.date(2026, 11, 24),
                    "458500",
                    "on",
                    comment="Late entry from the CRM export of 13 November.",
                ),
            ),
        ),
        DemoKeyResult(
            "Grow average deal size by 10% (from 12,000 to 13,200 EUR)",
            DAAN,
            unit="CURRENCY",
            currency="EUR",
            start="12000",
            target="13200",
            cadence="BIWEEKLY",
            data_source="CRM",
            check_ins=history("BIWEEKLY", "12050 12300 12480 12700"),
        ),
        DemoKeyResult(
            "Turn at least 25% of marketing leads into sales opportunities",
            DAAN,
            kind="THRESHOLD",
            unit="PERCENT",
            target="25",
            threshold_direction="AT_LEAST",
            cadence="BIWEEKLY",
            data_source="CRM",
            check_ins=history("BIWEEKLY", "22 24 26 27", "risk risk on on"),
        ),
    ),
)

_PRODUCT = DemoObjective(
    title=PRODUCT_OBJECTIVE,
    cycle=Q4,
    level="TEAM",
    team=PRODUCT,
    description="New customers find value in their first days and stay on a paid plan.",
    supports=(DemoAlignment(COMPANY_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Raise trial-to-paid conversion from 12% to 14%",
            MAJA,
            unit="PERCENT",
            start="12",
            target="14",
            data_source="Product analytics",
            check_ins=history(
                "WEEKLY",
                "12.0 12.0 12.1 11.9 12.2 12.3 12.2 12.4",
                "on on risk risk risk off off off",
            ),
        ),
        DemoKeyResult(
            "Ship an in-app guided setup to all new trials",
            MAJA,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="BIWEEKLY",
            data_source="Release notes",
            check_ins=history(
                "BIWEEKLY",
                "no no no no",
                "on risk off off",
                comments={2: "Blocked on the new permissions model."},
            ),
        ),
        DemoKeyResult(
            "Cut median time to first value from 5 to 3 days",
            MAJA,
            unit="CUSTOM",
            unit_label="days",
            start="5",
            target="3",
            cadence="BIWEEKLY",
            data_source="Product analytics",
            check_ins=history("BIWEEKLY", "5 4.8 4.6 4.5", "on risk risk risk"),
        ),
    ),
)

_CUSTOMER_SUCCESS = DemoObjective(
    title=CUSTOMER_SUCCESS_OBJECTIVE,
    cycle=Q4,
    level="TEAM",
    team=CUSTOMER_SUCCESS,
    description="Customer success drives revenue by growing the accounts we already have.",
    supports=(DemoAlignment(COMPANY_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Grow expansion revenue from existing accounts to 150,000 EUR",
            FEMKE,
            unit="CURRENCY",
            currency="EUR",
            start="0",
            target="150000",
            cadence="MONTHLY",
            data_source="CRM",
            check_ins=history("MONTHLY", "42000 95000"),
        ),
        DemoKeyResult(
            "Keep monthly logo churn at or below 2%",
            FEMKE,
            kind="THRESHOLD",
            unit="PERCENT",
            target="2",
            threshold_direction="AT_MOST",
            cadence="MONTHLY",
            data_source="Billing system",
            check_ins=history("MONTHLY", "1.8 1.6"),
        ),
        # Overdue on purpose: weekly, but the last check-in is from 30 October.
        DemoKeyResult(
            "Hold business reviews with our 30 largest accounts",
            FEMKE,
            result_type="ACTIVITY",
            start="0",
            target="30",
            data_source="CRM",
            check_ins=history("WEEKLY", "4 9 13", until=dt.date(2026, 10, 30)),
        ),
    ),
)

# The ten marketing OKRs of seeds 000/001; the tenth is the department objective above.

_BRAND_VOICE = DemoObjective(
    title="Develop our brand voice guidelines",
    cycle=Q4,
    level="PERSON",
    owner=LINNEA,
    team=MARKETING,
    description="Clear brand voice guidelines are a crucial part of content production.",
    key_results=(
        DemoKeyResult(
            "Identify five existing brand voices we like and analyse why they work",
            LINNEA,
            result_type="ACTIVITY",
            start="0",
            target="5",
            cadence="BIWEEKLY",
            check_ins=history("BIWEEKLY", "1 3 4 5"),
        ),
        DemoKeyResult(
            "Hold 40 Voice of Customer interviews this quarter to refine our brand voice",
            LINNEA,
            result_type="ACTIVITY",
            start="0",
            target="40",
            data_source="Interview log",
            check_ins=history("WEEKLY", "3 7 12 16 21 25 30 33"),
        ),
        DemoKeyResult(
            "Create one tone-of-voice and editorial style guide for the whole organisation",
            LINNEA,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="BIWEEKLY",
            check_ins=history(
                "BIWEEKLY",
                "no no no no",
                comments={-1: "First draft is in review with the content team."},
            ),
        ),
    ),
)

_BOUNCE_RATE = DemoObjective(
    title="Reduce the bounce rate of our website",
    cycle=Q4,
    level="TEAM",
    team=MARKETING,
    description=(
        "The bounce rate (the share of visitors who leave without opening a second page) "
        "does not fall in a vacuum: CTA and copy tests are the activities to measure."
    ),
    key_results=(
        DemoKeyResult(
            "List the 20 pages with the highest bounce rate (to prioritise)",
            SANNE,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="MONTHLY",
            data_source="Web analytics",
            check_ins=history("MONTHLY", "no yes"),
        ),
        DemoKeyResult(
            "Run 30 A/B tests on landing pages this quarter",
            SANNE,
            result_type="ACTIVITY",
            start="0",
            target="30",
            data_source="Website A/B testing tool",
            check_ins=history("WEEKLY", "2 4 5 8 10 11 13 15", "on on on on on risk risk risk"),
        ),
        DemoKeyResult(
            "Raise the click-through rate of the main home page CTA from 2% to 5%",
            SANNE,
            unit="PERCENT",
            start="2",
            target="5",
            data_source="Web analytics",
            check_ins=history("WEEKLY", "2.1 2.3 2.2 2.6 2.9 3.1 3.0 3.4"),
        ),
        DemoKeyResult(
            "Raise the book-a-demo CTR from 4% to 6%",
            SANNE,
            unit="PERCENT",
            start="4",
            target="6",
            cadence="BIWEEKLY",
            data_source="Web analytics",
            check_ins=history("BIWEEKLY", "4.1 4.4 4.6 4.9", "on on risk risk"),
        ),
    ),
)

_NEWSLETTER = DemoObjective(
    title="Improve email newsletter performance",
    cycle=Q4,
    level="TEAM",
    team=MARKETING,
    description=(
        "Many things drive a weekly newsletter's performance: click-through rate, open rate "
        "and the growth of the list."
    ),
    supports=(DemoAlignment(LEADS_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Implement a monthly list-cleaning process",
            LARS,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="MONTHLY",
            data_source="Email platform",
            check_ins=history(
                "MONTHLY",
                "no yes",
                comments={-1: "Runs on the first Monday of every month."},
            ),
        ),
        DemoKeyResult(
            "Set up a double opt-in process to ensure high-intent subscribers",
            LARS,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="BIWEEKLY",
            data_source="Email platform",
            check_ins=history("BIWEEKLY", "no no no no", "on on risk risk"),
        ),
        DemoKeyResult(
            "A/B test 20 subject lines every month",
            LARS,
            kind="THRESHOLD",
            result_type="ACTIVITY",
            unit="CUSTOM",
            unit_label="subject lines per month",
            target="20",
            threshold_direction="AT_LEAST",
            cadence="MONTHLY",
            data_source="Email platform",
            check_ins=history("MONTHLY", "14 21", "risk on"),
        ),
        DemoKeyResult(
            "Grow the email list to 10,000 subscribers",
            LARS,
            start="7400",
            target="10000",
            data_source="Email platform",
            # Below its start: the first list cleaning removed inactive addresses.
            check_ins=history(
                "WEEKLY",
                "7460 7530 7590 6420 6510 6640 6790 6930",
                "on on on off off off off off",
                comments={3: "List cleaning removed 1,240 bounced and inactive addresses."},
            ),
        ),
        DemoKeyResult(
            "Raise the average email click-through rate to 15%",
            LARS,
            unit="PERCENT",
            start="11",
            target="15",
            data_source="Email platform",
            check_ins=history("WEEKLY", "11.2 11.5 11.4 12.1 12.6 12.9 13.2 13.6"),
        ),
        DemoKeyResult(
            "Raise the email open rate from 20% to 25%",
            LARS,
            unit="PERCENT",
            start="20",
            target="25",
            data_source="Email platform",
            external_id="mailchimp-open-rate",
            check_ins=history("WEEKLY", "20.4 21.0 21.3 22.8 23.5 23.9 24.4 24.9"),
        ),
    ),
)

_ACQUISITION = DemoObjective(
    title="Improve the customer acquisition rate",
    cycle=Q4,
    level="TEAM",
    team=MARKETING,
    supports=(DemoAlignment(PRODUCT_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Grow monthly new trial sign-ups by 20% (from 800 to 960)",
            ERIK,
            start="800",
            target="960",
            cadence="MONTHLY",
            data_source="Product analytics",
            check_ins=history("MONTHLY", "842 901"),
        ),
        DemoKeyResult(
            "Grow MAU (monthly active users) from 5,000 to 8,000",
            ERIK,
            start="5000",
            target="8000",
            cadence="MONTHLY",
            data_source="Product analytics",
            check_ins=history("MONTHLY", "5600 6350", "on risk"),
        ),
        DemoKeyResult(
            "Raise trial-to-paid conversion by 15% (from 10% to 11.5%)",
            ERIK,
            unit="PERCENT",
            start="10",
            target="11.5",
            cadence="MONTHLY",
            data_source="Billing system",
            check_ins=history("MONTHLY", "10.3 10.9"),
        ),
    ),
)

_ONBOARDING = DemoObjective(
    title="Build a great onboarding sequence for customers",
    cycle=Q4,
    level="PERSON",
    owner=BRAM,
    team=MARKETING,
    description=(
        "A world-class onboarding sequence drives revenue and loyalty; broken down into "
        "measurable key results it becomes a goal we can track."
    ),
    supports=(DemoAlignment(PRODUCT_ACTIVITY_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Raise the free-user activation rate by 5% (from 40% to 42%)",
            BRAM,
            unit="PERCENT",
            start="40",
            target="42",
            cadence="BIWEEKLY",
            data_source="Product analytics",
            check_ins=history("BIWEEKLY", "40.2 40.9 41.3 41.6"),
        ),
        DemoKeyResult(
            "Grow MAU by 5% (from 5,000 to 5,250)",
            BRAM,
            start="5000",
            target="5250",
            cadence="MONTHLY",
            data_source="Product analytics",
            check_ins=history("MONTHLY", "5090 5170"),
        ),
        DemoKeyResult(
            "Cut time to activation by three days with a more interactive onboarding",
            BRAM,
            unit="CUSTOM",
            unit_label="days",
            start="9",
            target="6",
            cadence="BIWEEKLY",
            data_source="Product analytics",
            check_ins=history("BIWEEKLY", "9 8.6 7.9 7.4"),
        ),
        DemoKeyResult(
            "Create five onboarding workflows and email templates, one per audience segment",
            BRAM,
            result_type="ACTIVITY",
            start="0",
            target="5",
            cadence="BIWEEKLY",
            data_source="Email platform",
            check_ins=history("BIWEEKLY", "1 2 2 3", "on on risk on"),
        ),
    ),
)

_REVIEWS = DemoObjective(
    title="Increase the number of positive company reviews",
    cycle=Q4,
    level="TEAM",
    team=MARKETING,
    description="Reviews build brand awareness and bring new referrals.",
    key_results=(
        DemoKeyResult(
            'Implement an automated post-purchase email survey asking "How did we do?"',
            LARS,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="MONTHLY",
            data_source="Email platform",
            check_ins=history("MONTHLY", "no yes"),
        ),
        DemoKeyResult(
            "Improve NPS (net promoter score) from 50 to 60",
            ERIK,
            unit="CUSTOM",
            unit_label="NPS",
            start="50",
            target="60",
            cadence="MONTHLY",
            data_source="Survey tool",
            check_ins=history("MONTHLY", "51 53", "on risk"),
        ),
        DemoKeyResult(
            "Run a review campaign offering past customers a 10 USD gift card for a Google review",
            LINNEA,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="BIWEEKLY",
            check_ins=history(
                "BIWEEKLY",
                "no no no no",
                "on on risk risk",
                comments={-1: "Waiting for legal to approve the gift card terms."},
            ),
        ),
        DemoKeyResult(
            "Respond to 100% of customer reviews within 7 days of posting",
            LINNEA,
            kind="THRESHOLD",
            unit="PERCENT",
            target="100",
            threshold_direction="AT_LEAST",
            data_source="Review platform",
            check_ins=history(
                "WEEKLY", "100 100 92 100 100 100 88 100", "on on risk on on on risk on"
            ),
        ),
    ),
)

_SOCIAL = DemoObjective(
    title="Increase social media engagement",
    cycle=Q4,
    level="TEAM",
    team=MARKETING,
    description=(
        "Audience growth and click-through rates show the effect of our social selling and "
        "marketing campaigns."
    ),
    supports=(DemoAlignment(LEADS_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Improve link click-through rate from 4% to 6%",
            LINNEA,
            unit="PERCENT",
            start="4",
            target="6",
            data_source="Social media analytics",
            check_ins=history(
                "WEEKLY", "4.0 4.1 4.3 4.2 4.4 4.5 4.4 4.6", "on on on risk risk risk off off"
            ),
        ),
        DemoKeyResult(
            "Average 250 comments per day",
            LINNEA,
            kind="THRESHOLD",
            unit="CUSTOM",
            unit_label="comments per day",
            target="250",
            threshold_direction="AT_LEAST",
            data_source="Social media analytics",
            check_ins=history(
                "WEEKLY", "180 195 210 205 220 230 226 241", "risk risk risk risk risk risk off on"
            ),
        ),
        DemoKeyResult(
            "Grow our audience from 5,000 to 10,000",
            LINNEA,
            start="5000",
            target="10000",
            data_source="Social media analytics",
            check_ins=history(
                "WEEKLY",
                "5100 5250 5400 5520 5700 5850 5990 6150",
                "on risk risk off off off off off",
                comments={4: "Paid boost paused until the new creative is ready."},
            ),
        ),
    ),
)

_SEO = DemoObjective(
    title=SEO_OBJECTIVE,
    cycle=Q4,
    level="TEAM",
    team=MARKETING,
    progress_source="BOTH",
    description=(
        "Organic search results can be measured directly, but other KPIs matter too, such as "
        "the new content published every month."
    ),
    supports=(DemoAlignment(LEADS_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Run a content audit of our website",
            SANNE,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="MONTHLY",
            data_source="Content inventory",
            external_id="content-audit",
            check_ins=history(
                "MONTHLY",
                "no yes",
                comments={-1: "Done: 412 pages reviewed, 63 to merge or remove."},
            ),
        ),
        DemoKeyResult(
            KEYWORD_STRATEGY_KR,
            SANNE,
            kind="MILESTONE",
            result_type="ACTIVITY",
            cadence="MONTHLY",
            check_ins=history("MONTHLY", "no no"),
        ),
        DemoKeyResult(
            "Raise Domain Rating from 32 to 48 on Ahrefs",
            SANNE,
            unit="CUSTOM",
            unit_label="DR",
            start="32",
            target="48",
            cadence="BIWEEKLY",
            data_source="Ahrefs",
            check_ins=history("BIWEEKLY", "33 35 36 38", "on on risk risk"),
        ),
        DemoKeyResult(
            "Optimise all existing blog posts with Clearscope",
            SANNE,
            result_type="ACTIVITY",
            unit="PERCENT",
            start="0",
            target="100",
            data_source="Clearscope",
            check_ins=history("WEEKLY", "5 12 18 26 33 41 47 55"),
        ),
        DemoKeyResult(
            "Grow monthly traffic to 8,000 website visitors",
            SANNE,
            start="5600",
            target="8000",
            cadence="MONTHLY",
            data_source="Web analytics",
            check_ins=history("MONTHLY", "6100 6900"),
        ),
        DemoKeyResult(
            "Review and fix all red flags in Ahrefs",
            SANNE,
            result_type="ACTIVITY",
            unit="CUSTOM",
            unit_label="open red flags",
            start="120",
            target="0",
            data_source="Ahrefs",
            check_ins=history("WEEKLY", "118 104 97 81 66 52 40 31"),
        ),
        DemoKeyResult(
            "Publish 12 new pages of content every month",
            SANNE,
            kind="THRESHOLD",
            result_type="ACTIVITY",
            unit="CUSTOM",
            unit_label="pages per month",
            target="12",
            threshold_direction="AT_LEAST",
            cadence="MONTHLY",
            data_source="CMS",
            check_ins=history("MONTHLY", "12 10", "on risk"),
        ),
    ),
)

_KEYWORDS = DemoObjective(
    title="Develop a quarterly keyword strategy",
    cycle=Q4,
    level="PERSON",
    owner=SANNE,
    team=MARKETING,
    description=(
        "A keyword strategy can be one key result of improving on-page SEO, or broken down "
        "further into an OKR of its own, as here."
    ),
    supports=(DemoAlignment(SEO_OBJECTIVE, weight="2", parent_key_result=KEYWORD_STRATEGY_KR),),
    key_results=(
        DemoKeyResult(
            "Compile a list of 100 high-value keywords",
            SANNE,
            result_type="ACTIVITY",
            start="0",
            target="100",
            data_source="Ahrefs",
            check_ins=history("WEEKLY", "10 25 40 52 68 80 91 100"),
        ),
        DemoKeyResult(
            "Identify the top 15 keywords we start ranking for and track them weekly",
            SANNE,
            start="0",
            target="15",
            data_source="Ahrefs",
            check_ins=history("WEEKLY", "0 2 3 5 6 8 9 11"),
        ),
        DemoKeyResult(
            "Get 40% of targeted keywords ranking on page one by the end of the quarter",
            SANNE,
            unit="PERCENT",
            start="12",
            target="40",
            cadence="BIWEEKLY",
            data_source="Google Search Console",
            check_ins=history("BIWEEKLY", "13 17 21 26", "on on risk on"),
        ),
        # Deliberately without check-ins: nobody has reported on it yet.
        DemoKeyResult(
            "Identify 50 backlink sources to drive new referral traffic",
            SANNE,
            result_type="ACTIVITY",
            start="0",
            target="50",
            data_source="Ahrefs",
        ),
    ),
)

# The three team examples of seed 003.

_SWEDISH = DemoObjective(
    title=SWEDISH_OBJECTIVE,
    cycle=Q4,
    level="TEAM",
    team=DEMAND_GENERATION,
    description=SWEDISH_DESCRIPTION,
    supports=(DemoAlignment(LEADS_OBJECTIVE, weight="2"),),
    key_results=(
        DemoKeyResult(
            "Öka antalet leads till säljorganisationen från 250 till 350 per kvartal",
            LARS,
            start="250",
            target="350",
            data_source="CRM",
            check_ins=history("WEEKLY", "262 271 280 293 301 312 318 327"),
        ),
        # A decrease: (1235 - 1300) / (1170 - 1300) = 0.5, with a back-dated check-in that
        # must not hide the newer one.
        DemoKeyResult(
            COST_PER_LEAD_KR,
            ERIK,
            unit="CURRENCY",
            currency="SEK",
            start="1300",
            target="1170",
            cadence="BIWEEKLY",
            data_source="Annonsplattformar och ekonomisystem",
            check_ins=(
                *history(
                    "BIWEEKLY",
                    "1290 1268 1251 1235",
                    "on on risk on",
                    comments={-1: "Bättre målgruppsstyrning i sökannonserna sänkte kostnaden."},
                ),
                back_dated(dt.date(2026, 11, 13), dt.date(2026, 11, 23), "1244", "on"),
            ),
        ),
        DemoKeyResult(
            "Ta in 50 leads genom nya leadskanaler",
            LARS,
            start="0",
            target="50",
            data_source="CRM",
            check_ins=history("WEEKLY", "0 3 5 9 12 16 18 22", "on on on risk risk risk risk risk"),
        ),
    ),
)

_VISIBILITY = DemoObjective(
    title="Increase our visibility to gain market share over time",
    cycle=Q4,
    level="TEAM",
    team=BRAND,
    description=(
        "The team focuses on visibility, not on consequences such as sales or website "
        "visitors. Media exposure is scored in points: tier 1 is national media, tier 2 local "
        "media, and a tier-1 exposure counts as three tier-2 ones."
    ),
    key_results=(
        DemoKeyResult(
            "1M contacts through TV advertising",
            LINNEA,
            start="0",
            target="1000000",
            cadence="MONTHLY",
            data_source="Media agency report",
            check_ins=history("MONTHLY", "350000 720000"),
        ),
        DemoKeyResult(
            "300k impressions in social channels",
            LINNEA,
            start="0",
            target="300000",
            data_source="Social media analytics",
            check_ins=history("WEEKLY", "21000 48000 70000 96000 121000 149000 170000 198000"),
        ),
        DemoKeyResult(
            "3 exposures in tier-2 media and 1 exposure in tier-1 media",
            LINNEA,
            unit="CUSTOM",
            unit_label="points",
            start="0",
            target="6",
            cadence="BIWEEKLY",
            data_source="Media monitoring",
            description="A tier-2 exposure scores 1 point and a tier-1 exposure 3 points.",
            check_ins=history(
                "BIWEEKLY",
                "1 2 4 5",
                comments={-1: "5 of 6 points, i.e. 83% of the goal: five tier-2 exposures."},
            ),
        ),
    ),
)

_PRODUCT_ACTIVITY = DemoObjective(
    title=PRODUCT_ACTIVITY_OBJECTIVE,
    cycle=Q4,
    level="TEAM",
    team=PRODUCT_MARKETING,
    progress_source="BOTH",
    description=(
        "Churn, customers ending their subscriptions, is our strategic challenge, and low "
        "activity is often its first sign. Key results 1 and 2 are pure results; 3 combines "
        "a result with the activity that achieves it."
    ),
    supports=(DemoAlignment(LEADS_OBJECTIVE),),
    key_results=(
        DemoKeyResult(
            "Raise monthly active users from 25% to 30%",
            BRAM,
            unit="PERCENT",
            start="25",
            target="30",
            cadence="MONTHLY",
            data_source="Product analytics",
            check_ins=history("MONTHLY", "25.8 26.9", "on risk"),
        ),
        DemoKeyResult(
            "Reactivate 200 inactive users (not logged in for 90 days)",
            BRAM,
            start="0",
            target="200",
            data_source="Product analytics",
            check_ins=history("WEEKLY", "8 19 33 41 56 70 82 95", "on on on on on risk risk on"),
        ),
        DemoKeyResult(
            "300 webinar participants, focused on inspiring how our product can be used",
            BRAM,
            result_type="ACTIVITY",
            start="0",
            target="300",
            cadence="BIWEEKLY",
            data_source="Webinar platform",
            check_ins=history("BIWEEKLY", "45 95 160 210"),
        ),
    ),
)

# Parents before children is not required (alignments are written after all objectives).
OBJECTIVES = (
    _COMPANY,
    _LEADS,
    _SALES,
    _PRODUCT,
    _CUSTOMER_SUCCESS,
    _BRAND_VOICE,
    _BOUNCE_RATE,
    _NEWSLETTER,
    _ACQUISITION,
    _ONBOARDING,
    _REVIEWS,
    _SOCIAL,
    _SEO,
    _KEYWORDS,
    _SWEDISH,
    _VISIBILITY,
    _PRODUCT_ACTIVITY,
)

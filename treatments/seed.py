"""The default protocols, the consultation types they book, their prices and consent texts.

Plain data and one function that takes the model classes, so that the data migration (with its
historical models) and the demo data (with the real ones) seed the same thing. Running it again
changes nothing: rows are found by name or slug first.
"""

from decimal import Decimal

# Consultation types the steps book: slug -> (name, minutes, buffer after, description).
TYPES = {
    "prp-session": (
        "PRP session",
        60,
        15,
        "A PRP treatment session: a blood sample, its preparation and the injections.",
    ),
    "stem-cell-adipose": (
        "Stem cell therapy (adipose-derived)",
        240,
        30,
        "Collection by gentle liposuction, preparation and injection, under local anaesthetic.",
    ),
    "stem-cell-marrow": (
        "Stem cell therapy (bone-marrow-derived)",
        180,
        30,
        "Collection from the hip bone, preparation and injection, under local anaesthetic.",
    ),
    "exosome-session": ("Exosome session", 60, 15, "An exosome treatment session."),
    "micro-needling-session": (
        "Micro-needling session",
        45,
        15,
        "A micro-needling session of the scalp.",
    ),
    "treatment-review": (
        "Treatment review",
        20,
        10,
        "A review of how a treatment is going, with photos and measures.",
    ),
}

PRP_PREPARATION = (
    "Eat a normal meal and drink plenty of water beforehand. Avoid aspirin and anti-inflammatory "
    "painkillers for three days before, unless a doctor prescribed them. Wash your hair that "
    "morning and use no styling products."
)
PRP_AFTERCARE = (
    "Do not wash your hair for 24 hours and avoid hard exercise, saunas and swimming for two "
    "days. Mild soreness is normal; paracetamol is fine."
)
INJECTION_PREPARATION = (
    "Stop blood-thinning supplements (fish oil, vitamin E, ginkgo) a week before, and "
    "anti-inflammatory painkillers three days before, unless a doctor prescribed them. Arrange a "
    "lift home."
)
INJECTION_AFTERCARE = (
    "Keep the treated areas clean and dry for 48 hours. Bruising and swelling at the collection "
    "site can last a week. Call the clinic at once with fever, spreading redness or bleeding."
)
REVIEW_PREPARATION = "Come with clean, dry hair and no styling products, so photos compare."

# (treatment, name, judge from/to months, summary, expectations, risks, steps). A step is
# (kind, name, type slug, min days, max days after the step before, preparation, aftercare).
PROTOCOLS = [
    (
        "prp",
        "PRP course",
        3,
        6,
        "Three PRP sessions about four weeks apart, reviews at three and six months, then a "
        "top-up every six to twelve months.",
        "Less shedding is often the first sign, then thicker hair where follicles were shrinking. "
        "PRP cannot regrow hair where follicles have gone, and results vary.",
        "Soreness, redness or a headache for a day or two; rarely bruising or infection at an "
        "injection site. Not suitable with some blood and platelet disorders.",
        [
            ("procedure", "PRP session 1", "prp-session", 0, 28, PRP_PREPARATION, PRP_AFTERCARE),
            ("procedure", "PRP session 2", "prp-session", 21, 42, PRP_PREPARATION, PRP_AFTERCARE),
            ("procedure", "PRP session 3", "prp-session", 21, 42, PRP_PREPARATION, PRP_AFTERCARE),
            ("review", "Review at 3 months", "treatment-review", 35, 56, REVIEW_PREPARATION, ""),
            ("review", "Review at 6 months", "treatment-review", 80, 100, REVIEW_PREPARATION, ""),
            ("top_up", "PRP top-up", "prp-session", 60, 240, PRP_PREPARATION, PRP_AFTERCARE),
        ],
    ),
    *[
        (
            treatment,
            name,
            6,
            12,
            "One procedure, then reviews at one, three, six and twelve months.",
            "New growth, if any, shows slowly: judge it at six to twelve months, with photos "
            "taken the same way each time.",
            "Bruising, swelling and soreness where the cells are collected and injected; rarely "
            "infection. Not offered with active cancer.",
            [
                ("procedure", name, slug, 0, 42, INJECTION_PREPARATION, INJECTION_AFTERCARE),
                ("review", "Review at 1 month", "treatment-review", 28, 35, REVIEW_PREPARATION, ""),
                (
                    "review",
                    "Review at 3 months",
                    "treatment-review",
                    55,
                    65,
                    REVIEW_PREPARATION,
                    "",
                ),
                (
                    "review",
                    "Review at 6 months",
                    "treatment-review",
                    85,
                    95,
                    REVIEW_PREPARATION,
                    "",
                ),
                (
                    "review",
                    "Review at 12 months",
                    "treatment-review",
                    175,
                    190,
                    REVIEW_PREPARATION,
                    "",
                ),
            ],
        )
        for treatment, name, slug in [
            ("stem_cell_adipose", "Stem cell therapy (adipose-derived)", "stem-cell-adipose"),
            ("stem_cell_marrow", "Stem cell therapy (bone-marrow-derived)", "stem-cell-marrow"),
        ]
    ],
    (
        "exosomes",
        "Exosome course",
        3,
        6,
        "Two exosome sessions four to six weeks apart, with reviews at three and six months.",
        "Results vary and take three to six months to judge.",
        "Redness and tenderness for a day or two; rarely an allergic reaction.",
        [
            (
                "procedure",
                "Exosome session 1",
                "exosome-session",
                0,
                28,
                PRP_PREPARATION,
                PRP_AFTERCARE,
            ),
            (
                "procedure",
                "Exosome session 2",
                "exosome-session",
                28,
                42,
                PRP_PREPARATION,
                PRP_AFTERCARE,
            ),
            ("review", "Review at 3 months", "treatment-review", 50, 70, REVIEW_PREPARATION, ""),
            ("review", "Review at 6 months", "treatment-review", 80, 100, REVIEW_PREPARATION, ""),
        ],
    ),
    (
        "micro_needling",
        "Micro-needling course",
        3,
        6,
        "Four micro-needling sessions three to five weeks apart, then a review.",
        "Often used alongside medication or PRP; judge it at three to six months.",
        "Redness and pinpoint bleeding for a day; rarely infection.",
        [
            (
                "procedure",
                f"Micro-needling session {n}",
                "micro-needling-session",
                low,
                high,
                "",
                PRP_AFTERCARE,
            )
            for n, (low, high) in enumerate([(0, 28), (21, 35), (21, 35), (21, 35)], start=1)
        ]
        + [("review", "Review at 3 months", "treatment-review", 35, 56, REVIEW_PREPARATION, "")],
    ),
    (
        "medication",
        "Medication with check-ins",
        6,
        12,
        "A prescription, with check-ins at three and six months.",
        "Medication slows or stops loss first; regrowth, if any, shows at six to twelve months. "
        "Stopping it usually lets the loss resume.",
        "Depends on the medicine: the practitioner goes through its side effects with you.",
        [
            ("check_in", "Check-in at 3 months", "treatment-review", 85, 95, "", ""),
            ("check_in", "Check-in at 6 months", "treatment-review", 85, 95, "", ""),
        ],
    ),
]

# In pounds; other currencies at a rounded rate, so a location in Dubai gets round dirhams.
PRICES = {
    "prp-session": Decimal(450),
    "stem-cell-adipose": Decimal(3500),
    "stem-cell-marrow": Decimal(3000),
    "exosome-session": Decimal(900),
    "micro-needling-session": Decimal(200),
    "treatment-review": Decimal(0),
}
RATES = {"GBP": Decimal(1), "AED": Decimal("4.6"), "EUR": Decimal("1.2"), "USD": Decimal("1.3")}


def currency_for(time_zone: str) -> str:
    """Guess a location's currency from its time zone (locations carry no currency)."""
    if time_zone == "Europe/London":
        return "GBP"
    if time_zone == "Asia/Dubai":
        return "AED"
    if time_zone.startswith("America/"):
        return "USD"
    if time_zone.startswith("Europe/"):
        return "EUR"
    return "GBP"


# A new wording is a new version: the one signed is kept with each signature.
CONSENT_VERSION = "2026-12-2"


def consent_text(treatment_name: str, risks: str) -> str:
    return (
        f"I agree to the treatment described in this plan: {treatment_name}. The practitioner has "
        "explained what it involves, its risks and the alternatives, including no treatment. I "
        f"understand that results vary and are not guaranteed. Risks: {risks} I will tell the "
        "clinic before each session about any new medicine, illness or pregnancy, and I may stop "
        "the course at any time."
    )


def _booked_from_plans(ConsultationType) -> dict:
    """Procedure kind and no intake, where the model has those fields (the first data
    migration runs with a version of it that has not)."""
    names = {field.name for field in ConsultationType._meta.get_fields()}
    wanted = {"kind": "procedure", "intake_required": False}
    return {name: value for name, value in wanted.items() if name in names}


def seed(
    *, ConsultationType, Practitioner, Location, Protocol, ProtocolStep, StepPrice, ConsentText
):
    """Create what is missing of the default protocols and everything they need."""
    types = {}
    practitioners = list(Practitioner.objects.filter(is_active=True))
    for position, (slug, (name, minutes, after, description)) in enumerate(TYPES.items(), 50):
        found = (
            ConsultationType.objects.filter(slug=slug).first()
            or ConsultationType.objects.filter(name=name).first()
        )
        if found is None:
            found = ConsultationType.objects.create(
                name=name,
                slug=slug,
                description=description,
                duration_minutes=minutes,
                buffer_after_minutes=after,
                min_notice_hours=24,
                horizon_days=400,
                late_cancel_hours=48,
                position=position,
                **_booked_from_plans(ConsultationType),
            )
            found.practitioners.add(*practitioners)
        types[slug] = found
    locations = list(Location.objects.all())
    for position, (
        treatment,
        name,
        judge_from,
        judge_to,
        summary,
        expect,
        risks,
        steps,
    ) in enumerate(PROTOCOLS):
        protocol, created = Protocol.objects.get_or_create(
            name=name,
            defaults={
                "treatment": treatment,
                "judge_from_months": judge_from,
                "judge_to_months": judge_to,
                "summary": summary,
                "expectations": expect,
                "risks": risks,
                "position": position,
            },
        )
        if created:
            for order, (kind, step_name, slug, low, high, before, after) in enumerate(steps, 1):
                ProtocolStep.objects.create(
                    protocol=protocol,
                    order=order,
                    kind=kind,
                    name=step_name,
                    consultation_type=types[slug],
                    min_days_after=low,
                    max_days_after=high,
                    preparation=before,
                    aftercare=after,
                )
        for step in ProtocolStep.objects.filter(protocol=protocol).select_related(
            "consultation_type"
        ):
            slug = step.consultation_type.slug
            for location in locations:
                currency = currency_for(location.time_zone)
                StepPrice.objects.get_or_create(
                    step=step,
                    location=location,
                    defaults={
                        "amount": (PRICES.get(slug, Decimal(0)) * RATES[currency]).quantize(
                            Decimal(1)
                        ),
                        "currency": currency,
                    },
                )
        ConsentText.objects.get_or_create(
            treatment=treatment,
            version=CONSENT_VERSION,
            defaults={"text": consent_text(name, risks)},
        )

"""The hair-loss intake's vocabulary: every choice a patient can make, in plain words."""

MAIN_CONCERNS = [
    ("thinning", "General thinning all over"),
    ("receding", "A receding hairline"),
    ("crown", "Thinning at the crown"),
    ("patches", "Patches of hair loss"),
    ("shedding", "A lot of hair falling out"),
    ("other", "Something else"),
]

AREAS = [
    ("hairline", "Hairline"),
    ("temples", "Temples"),
    ("top", "Top of the head"),
    ("crown", "Crown"),
    ("whole", "All over the scalp"),
    ("patches", "Round or irregular patches"),
    ("face", "Beard or eyebrows"),
]

ONSET = [
    ("lt6m", "Less than 6 months ago"),
    ("6to12m", "6 to 12 months ago"),
    ("1to3y", "1 to 3 years ago"),
    ("3to5y", "3 to 5 years ago"),
    ("gt5y", "More than 5 years ago"),
    ("not_sure", "Not sure"),
]

PROGRESSION = [
    ("fast", "Getting worse quickly"),
    ("slow", "Getting worse slowly"),
    ("stable", "About the same for a while"),
    ("improving", "Getting better"),
    ("not_sure", "Not sure"),
]

# Self-assessed stage, described in words so that nobody needs to know the scales' names.
STAGES = [
    ("nh1", "Norwood–Hamilton I: no real loss, the hairline is where it always was"),
    ("nh2", "Norwood–Hamilton II: slight recession at the temples"),
    ("nh3", "Norwood–Hamilton III: clear recession at the temples, an M-shaped hairline"),
    ("nh4", "Norwood–Hamilton IV: receded front and a thinning crown, with hair between"),
    ("nh5", "Norwood–Hamilton V: front and crown loss joined by only a thin band of hair"),
    ("nh6", "Norwood–Hamilton VI: the band is gone; the top is bald from front to crown"),
    ("nh7", "Norwood–Hamilton VII: only a band of hair around the sides and back"),
    ("l1", "Ludwig I: a widening parting, thinning on top that is easy to hide"),
    ("l2", "Ludwig II: a clearly wider parting and noticeable thinning on top"),
    ("l3", "Ludwig III: the scalp shows through on top"),
    ("not_sure", "Not sure"),
]

# Asked before the stage, so that the patient sees only the scale that fits: a receding
# hairline or crown is read on the Norwood–Hamilton scale ("nh" stages), a widening parting on
# the Ludwig scale ("l" stages). Not stored: the stage chosen says it.
HAIR_PATTERNS = [
    ("receding", "My hairline is moving back, or my crown is thinning"),
    ("parting", "My parting is getting wider, and my hairline stays where it was"),
    ("not_sure", "Neither of these, or not sure"),
]
# The stages of each pattern, by the first letters of their codes.
PATTERN_STAGE_PREFIX = {"receding": "nh", "parting": "l"}
STAGE_SCALE_TITLES = [
    ("nh", "A receding hairline or crown (Norwood–Hamilton scale)"),
    ("l", "A widening parting (Ludwig scale)"),
]

FAMILY_HISTORY = [
    ("mother_side", "On my mother's side"),
    ("father_side", "On my father's side"),
    ("siblings", "Brothers or sisters"),
    ("none", "No one I know of"),
    ("not_sure", "Not sure"),
]

TRIGGERS = [
    ("stress", "Severe stress"),
    ("illness", "Illness or high fever (including COVID-19)"),
    ("surgery", "An operation"),
    ("childbirth", "Having a baby"),
    ("crash_diet", "A crash diet or rapid weight loss"),
    ("new_medication", "Starting a new medicine"),
    ("thyroid", "Thyroid disease"),
    ("anaemia", "Anaemia or low iron"),
    ("hormonal", "Menopause or another hormonal change"),
]

PREVIOUS_TREATMENTS = [
    ("minoxidil", "Minoxidil (Regaine or similar)"),
    ("finasteride", "Finasteride"),
    ("dutasteride", "Dutasteride"),
    ("prp", "PRP injections"),
    ("laser", "Low-level laser (cap or comb)"),
    ("transplant", "Hair transplant"),
    ("supplements", "Supplements or special shampoos"),
]
TREATMENT_DURATIONS = [
    ("", "Never tried"),
    ("lt3m", "Less than 3 months"),
    ("3to12m", "3 to 12 months"),
    ("gt1y", "More than a year"),
]
TREATMENT_OUTCOMES = [
    ("", "How it went…"),
    ("helped", "It helped"),
    ("no_change", "No change"),
    ("side_effects", "Side effects made me stop"),
    ("too_early", "Too early to tell"),
]

YES, NO, NOT_SURE, PREFER_NOT, NOT_APPLICABLE = "yes", "no", "not_sure", "prefer_not", "n_a"
SCREENING_ANSWERS = [
    (YES, "Yes"),
    (NO, "No"),
    (NOT_SURE, "Not sure"),
    (PREFER_NOT, "Prefer not to say"),
    (NOT_APPLICABLE, "Not applicable"),
]
YES_NO_NOT_SURE = [(YES, "Yes"), (NO, "No"), (NOT_SURE, "Not sure")]

# Medical screening: (key, question, the answers offered).
SCREENING_QUESTIONS = [
    ("bleeding_disorder", "Do you have a bleeding or platelet disorder?", YES_NO_NOT_SURE),
    (
        "anticoagulants",
        "Do you take blood thinners or antiplatelet medicines (e.g. warfarin, apixaban, "
        "clopidogrel, daily aspirin)?",
        YES_NO_NOT_SURE,
    ),
    (
        "scalp_condition",
        "Do you have an active scalp infection or skin condition on the scalp?",
        YES_NO_NOT_SURE,
    ),
    (
        "cancer",
        "Do you have cancer now, or have you been treated for cancer in the last five years?",
        [*YES_NO_NOT_SURE, (PREFER_NOT, "Prefer not to say")],
    ),
    (
        "autoimmune",
        "Do you have an autoimmune disease (e.g. lupus, thyroiditis, psoriasis)?",
        YES_NO_NOT_SURE,
    ),
    (
        "pregnancy",
        "Are you pregnant, trying to become pregnant, or breastfeeding?",
        [*YES_NO_NOT_SURE, (NOT_APPLICABLE, "Not applicable"), (PREFER_NOT, "Prefer not to say")],
    ),
    (
        "anaesthetic_allergy",
        "Have you ever reacted badly to a local anaesthetic?",
        YES_NO_NOT_SURE,
    ),
    ("smoking", "Do you smoke or vape nicotine?", [(YES, "Yes"), (NO, "No")]),
]
SCREENING_QUESTION_CHOICES = [(key, text) for key, text, _ in SCREENING_QUESTIONS]

TREATMENTS_OF_INTEREST = [
    ("prp", "PRP"),
    ("stem_cell", "Stem cell therapy"),
    ("exosomes", "Exosomes"),
    ("micro_needling", "Micro-needling"),
    ("medication", "Medication"),
    ("transplant", "Hair transplant"),
    ("not_sure", "Not sure yet"),
]

FLAG_TREATMENTS = [
    ("prp", "PRP"),
    ("stem_cell", "Stem cell therapy"),
    ("exosomes", "Exosomes"),
    ("micro_needling", "Micro-needling"),
    ("medication", "Medication"),
    ("transplant", "Hair transplant"),
    ("injections", "Any injected treatment"),
    ("all", "All treatments"),
]

CONTRAINDICATED, DEFER, CAUTION = "contraindicated", "defer", "caution"
# Ordered most serious first; the order is used to sort flags.
SEVERITIES = [
    (CONTRAINDICATED, "Contraindicated"),
    (DEFER, "Defer"),
    (CAUTION, "Caution"),
]

PHOTO_VIEWS = [
    ("hairline", "Hairline (from the front)"),
    ("top", "Top of the head"),
    ("crown", "Crown (from above and behind)"),
    ("temples", "Temples (from the side)"),
    ("donor", "Back and sides (donor area)"),
    ("other", "Another view"),
]

# How to take each view, beside its drawing on the questions page.
PHOTO_GUIDANCE = {
    "hairline": "Face the camera with your hair pushed back off your forehead.",
    "top": "From above, with your head tipped forward a little.",
    "crown": "From above and behind: ask someone to help, or use two mirrors.",
    "temples": "From the side, with your hair pushed back above the ear.",
    "donor": "The back of your head, from behind, hair dry and combed flat.",
    "other": "Anything else you would like your practitioner to see.",
}

PATTERNS = [
    ("male_pattern", "Male pattern (Norwood–Hamilton)"),
    ("female_pattern", "Female pattern (Ludwig)"),
    ("diffuse", "Diffuse thinning"),
    ("patchy", "Patchy loss"),
    ("frontal_fibrosing", "Frontal hairline recession with scalp changes"),
    ("other", "Other"),
]

LIKELY_CAUSES = [
    ("androgenetic", "Androgenetic alopecia"),
    ("telogen_effluvium", "Telogen effluvium"),
    ("alopecia_areata", "Alopecia areata"),
    ("traction", "Traction alopecia"),
    ("scarring", "Scarring alopecia: refer"),
    ("other", "Other"),
]

RECOMMENDATIONS = [
    ("prp", "PRP"),
    ("stem_cell_adipose", "Stem cell therapy (adipose-derived)"),
    ("stem_cell_marrow", "Stem cell therapy (bone-marrow-derived)"),
    ("exosomes", "Exosomes"),
    ("micro_needling", "Micro-needling"),
    ("medication", "Medication"),
    ("transplant", "Hair transplant"),
    ("blood_tests", "Blood tests"),
    ("referral", "Specialist referral"),
    ("no_treatment", "No treatment"),
]

# Progress across visits (the practitioner's measures and the clinic's standard photos).

# Stages of the three scales, coded with the scale first ("nw", "lu", "si") so that the scale of a
# recorded stage is known from the code alone; the number after it is the stage on that scale.
STAGE_SCALES = [
    ("nw", "Norwood–Hamilton"),
    ("lu", "Ludwig"),
    ("si", "Sinclair"),
]
VISIT_STAGES = [
    (
        "Norwood–Hamilton",
        [
            (f"nw{n}", f"Norwood {roman}")
            for n, roman in enumerate(["I", "II", "III", "IV", "V", "VI", "VII"], start=1)
        ],
    ),
    (
        "Ludwig",
        [(f"lu{n}", f"Ludwig {roman}") for n, roman in enumerate(["I", "II", "III"], start=1)],
    ),
    ("Sinclair", [(f"si{n}", f"Sinclair {n}") for n in range(1, 6)]),
]
VISIT_STAGE_CODES = [code for _, group in VISIT_STAGES for code, _ in group]
STAGE_LABELS = {code: label for _, group in VISIT_STAGES for code, label in group}
# How many stages each scale has: the top of a stage chart's axis.
SCALE_STAGES = {"nw": 7, "lu": 3, "si": 5}

# The standard zones of the scalp where density and thin hairs are measured.
SCALP_ZONES = [
    ("frontal", "Frontal"),
    ("mid_scalp", "Mid-scalp"),
    ("crown", "Crown"),
    ("donor", "Donor area"),
]

# Sinclair's shedding scale: 1 is normal shedding, 6 is very heavy.
SHEDDING = [
    (1, "1 · very little"),
    (2, "2 · normal"),
    (3, "3 · slightly more than normal"),
    (4, "4 · more than normal"),
    (5, "5 · heavy"),
    (6, "6 · very heavy"),
]

# The standard views the clinic photographs at every visit, so that visits compare view by view.
CLINIC_PHOTO_VIEWS = [
    ("front", "Front"),
    ("top", "Top"),
    ("crown", "Crown"),
    ("left", "Left side"),
    ("right", "Right side"),
    ("donor", "Donor area"),
]

# The patient's own view before a review: their hair now (0 to 10) and how satisfied they are.
HAIR_RATING_RANGE = (0, 10)
SATISFACTION = [
    (1, "Very unhappy"),
    (2, "Unhappy"),
    (3, "Neither happy nor unhappy"),
    (4, "Happy"),
    (5, "Very happy"),
]

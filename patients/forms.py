"""The hair-loss intake form: what a clinician needs to know before the consultation."""

from django import forms
from django.http import QueryDict

from patients import choices
from patients.photos import MAX_BYTES, MAX_PHOTOS, PhotoError, PixelBudget, clean_photo

INTAKE_MODEL_FIELDS = [
    "main_concern",
    "main_concern_detail",
    "areas",
    "onset",
    "progression",
    "stage",
    "family_history",
    "triggers",
    "current_medicines",
    "goals",
    "treatments_of_interest",
]


def _radio(label, options, **kwargs):
    return forms.ChoiceField(label=label, choices=options, widget=forms.RadioSelect, **kwargs)


def _checkboxes(label, options, required=False, **kwargs):
    return forms.MultipleChoiceField(
        label=label,
        choices=options,
        widget=forms.CheckboxSelectMultiple,
        required=required,
        **kwargs,
    )


# The sections of the questions, in order: (anchor, title, the form fields in it). The anchor is
# the section's id on the questions page, where the review's "Change" links land.
SECTIONS = [
    # The pattern first, so that the stage's pictures that follow are only those of its scale.
    ("how-it-looks", "How your hair looks", ["hair_pattern", "stage"]),
    (
        "your-hair-loss",
        "Your hair loss",
        ["main_concern", "main_concern_detail", "areas", "onset", "progression"],
    ),
    ("family", "Family and recent events", ["family_history", "triggers"]),
    (
        "treatments",
        "Treatments you have tried",
        [
            f"{kind}_{key}"
            for key, _ in choices.PREVIOUS_TREATMENTS
            for kind in ("tried", "outcome")
        ],
    ),
    (
        "health",
        "Your health",
        [f"screen_{key}" for key, _, _ in choices.SCREENING_QUESTIONS] + ["current_medicines"],
    ),
    ("hopes", "What you hope for", ["goals", "treatments_of_interest"]),
]
PHOTOS_SECTION = ("photos", "Photos")


class IntakeForm(forms.Form):
    """The intake, in sections. Previous treatments and screening get one field per item."""

    hair_pattern = _radio(
        "Which of these fits your hair loss best?",
        choices.HAIR_PATTERNS,
        required=False,
        help_text="Hair loss in men usually follows the first, in women the second, but either "
        "can happen to anyone. We then show you only the pictures that match.",
    )
    main_concern = _radio("What worries you most about your hair?", choices.MAIN_CONCERNS)
    main_concern_detail = forms.CharField(
        label="Anything you would like to add",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    areas = _checkboxes("Where are you losing hair?", choices.AREAS, required=True)
    onset = _radio("When did you first notice it?", choices.ONSET)
    progression = _radio("How has it changed since?", choices.PROGRESSION)
    stage = _radio("Which picture looks most like your hair today?", choices.STAGES)
    family_history = _checkboxes(
        "Has anyone in your family lost hair in the same way?",
        choices.FAMILY_HISTORY,
        required=True,
    )
    triggers = _checkboxes(
        "In the six months before it started, did any of these happen? Tick all that apply.",
        choices.TRIGGERS,
    )
    current_medicines = forms.CharField(
        label="Which medicines, supplements or creams do you take now?",
        help_text="Include doses if you know them. Leave empty if none.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    goals = forms.CharField(
        label="What would you like to achieve?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    treatments_of_interest = _checkboxes(
        "Which treatments would you like to talk about?", choices.TREATMENTS_OF_INTEREST
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in choices.PREVIOUS_TREATMENTS:
            self.fields[f"tried_{key}"] = forms.ChoiceField(
                label=f"{label}: how long", choices=choices.TREATMENT_DURATIONS, required=False
            )
            self.fields[f"outcome_{key}"] = forms.ChoiceField(
                label=f"{label}: how it went", choices=choices.TREATMENT_OUTCOMES, required=False
            )
        for key, question, options in choices.SCREENING_QUESTIONS:
            self.fields[f"screen_{key}"] = _radio(question, options)

    def treatment_rows(self):
        """Bound fields per previous treatment, for a grid in the template."""
        return [
            (label, self[f"tried_{key}"], self[f"outcome_{key}"])
            for key, label in choices.PREVIOUS_TREATMENTS
        ]

    def screening_fields(self):
        return [self[f"screen_{key}"] for key, _, _ in choices.SCREENING_QUESTIONS]

    def clean_family_history(self):
        answers = self.cleaned_data["family_history"]
        if len(answers) > 1 and ({"none", "not_sure"} & set(answers)):
            raise forms.ValidationError(
                "“No one I know of” and “Not sure” cannot be ticked with other answers."
            )
        return answers

    def clean(self):
        cleaned = super().clean()
        for key, _ in choices.PREVIOUS_TREATMENTS:
            # "How it went" is asked only for what was tried (the page hides it until then), so
            # an answer left behind in a hidden box is dropped rather than held against the
            # patient.
            if not cleaned.get(f"tried_{key}"):
                cleaned[f"outcome_{key}"] = ""
        prefix = choices.PATTERN_STAGE_PREFIX.get(cleaned.get("hair_pattern"))
        stage = cleaned.get("stage") or ""
        if prefix and stage != "not_sure" and stage and not stage.startswith(prefix):
            # The picture chosen is hidden once the other pattern is chosen: name it.
            name = dict(choices.STAGES)[stage].split(":")[0]
            self.add_error(
                "stage",
                f"The picture you chose, “{name}”, is of the other pattern, not the one you "
                "chose above. Choose one of the pictures shown, or “Not sure”.",
            )
        return cleaned

    def stage_scales(self):
        """The stage's choices grouped by scale, each with its pattern, for pictures: a list of
        (prefix, title, options) where each option is (value, label, input id, checked)."""
        current = self["stage"].value()
        scales = []
        for prefix, title in choices.STAGE_SCALE_TITLES:
            options = [
                (value, label, f"id_stage_{value}", value == current)
                for value, label in choices.STAGES
                if value.startswith(prefix)
            ]
            scales.append((prefix, title, options))
        return scales

    def stage_not_sure(self):
        return ("not_sure", dict(choices.STAGES)["not_sure"], "id_stage_not_sure")

    def sections(self, photos_sent=False, photo_errors=0):
        """The sections in order, each with whether it is answered and how many of its answers
        need another look (``photo_errors``: the photos refused from this send): a list of
        dicts (anchor, title, answered, errors)."""
        result = []
        for anchor, title, names in SECTIONS:
            required = [n for n in names if self.fields[n].required]
            values = [self[n].value() for n in (required or names)]
            answered = (all if required else any)(v not in (None, "", []) for v in values)
            errors = sum(1 for n in names if self.is_bound and self.errors.get(n))
            result.append(
                {"anchor": anchor, "title": title, "answered": answered, "errors": errors}
            )
        anchor, title = PHOTOS_SECTION
        result.append(
            {"anchor": anchor, "title": title, "answered": photos_sent, "errors": photo_errors}
        )
        return result

    def intake_values(self) -> dict:
        """Return the cleaned answers shaped as HairLossIntake fields."""
        data = self.cleaned_data
        values = {name: data[name] for name in INTAKE_MODEL_FIELDS}
        values["previous_treatments"] = {
            key: {"duration": data[f"tried_{key}"], "outcome": data[f"outcome_{key}"]}
            for key, _ in choices.PREVIOUS_TREATMENTS
            if data.get(f"tried_{key}")
        }
        values["screening"] = {
            key: data[f"screen_{key}"] for key, _, _ in choices.SCREENING_QUESTIONS
        }
        return values

    def summary(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Return the cleaned answers in readable words, by section, for the review page."""

        def words(name):
            field, value = self.fields[name], self.cleaned_data.get(name)
            names = dict(getattr(field, "choices", []))
            if isinstance(value, list):
                return ", ".join(str(names.get(v, v)) for v in value) or "None"
            return str(names.get(value, value)) if value else "—"

        tried = [
            f"{label}: {words(f'tried_{key}')}"
            + (
                f", {words(f'outcome_{key}').lower()}"
                if self.cleaned_data.get(f"outcome_{key}")
                else ""
            )
            for key, label in choices.PREVIOUS_TREATMENTS
            if self.cleaned_data.get(f"tried_{key}")
        ]
        hair = ["main_concern", "main_concern_detail", "areas", "onset", "progression", "stage"]
        return [
            ("Your hair loss", [(self.fields[n].label, words(n)) for n in hair]),
            (
                "Family and recent events",
                [(self.fields[n].label, words(n)) for n in ("family_history", "triggers")],
            ),
            ("Treatments you have tried", [("Tried", "; ".join(tried) or "None")]),
            (
                "Your health",
                [(field.label, words(field.name)) for field in self.screening_fields()]
                + [(self.fields["current_medicines"].label, words("current_medicines"))],
            ),
            (
                "What you hope for",
                [(self.fields[n].label, words(n)) for n in ("goals", "treatments_of_interest")],
            ),
        ]

    def review_sections(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """Return ``summary`` as (anchor, title, rows) per section of the questions page, the
        stage on its own, so that each "Change" link lands on the section it changes."""
        anchors = ["your-hair-loss", "family", "treatments", "health", "hopes"]
        sections = []
        for anchor, (title, rows) in zip(anchors, self.summary(), strict=True):
            if anchor == "your-hair-loss":
                stage_label = self.fields["stage"].label
                stage_rows = [r for r in rows if r[0] == stage_label]
                sections.append(("how-it-looks", "How your hair looks", stage_rows))
                sections.append((anchor, title, [r for r in rows if r[0] != stage_label]))
            else:
                sections.append((anchor, title, rows))
        return sections

    @classmethod
    def bound_to(cls, intake) -> "IntakeForm":
        """Return the form bound to a saved intake's answers and validated, to read them."""
        data = QueryDict(mutable=True)
        for key, value in cls.initial_from(intake).items():
            data.setlist(key, value if isinstance(value, list) else [value])
        form = cls(data=data)
        form.is_valid()
        return form

    @classmethod
    def initial_from_typed(cls, answers: dict) -> dict:
        """Return form initial data from answers kept exactly as typed (lists of strings, as
        ``bookings.drafts.typed_answers`` keeps them), valid or not."""
        initial = {}
        for name, field in cls().fields.items():
            values = answers.get(name)
            if values is None:
                continue
            multiple = isinstance(field, forms.MultipleChoiceField)
            initial[name] = list(values) if multiple else (values[-1] if values else "")
        return initial

    @staticmethod
    def initial_from(intake) -> dict:
        """Return form initial data from a saved intake, the inverse of ``intake_values``."""
        initial = {name: getattr(intake, name) for name in INTAKE_MODEL_FIELDS}
        # The pattern is not stored: the stage says it, when it is not "Not sure".
        for pattern, prefix in choices.PATTERN_STAGE_PREFIX.items():
            if intake.stage.startswith(prefix):
                initial["hair_pattern"] = pattern
        for key, answer in intake.previous_treatments.items():
            initial[f"tried_{key}"] = answer.get("duration", "")
            initial[f"outcome_{key}"] = answer.get("outcome", "")
        for key, answer in intake.screening.items():
            initial[f"screen_{key}"] = answer
        return initial


class PhotoForm(forms.Form):
    """Optional scalp photos, one per view; each is checked and cleaned by Pillow.

    The photos of one submit share one pixel budget, checked from each image's header before it
    is decoded: those that fit are kept, the others are refused with a message of their own.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in choices.PHOTO_VIEWS:
            # On a phone, ``capture`` opens the camera straight away: the one facing the patient
            # for their own hairline, the other for views someone else takes.
            camera = "user" if key == "hairline" else "environment"
            self.fields[f"photo_{key}"] = forms.FileField(
                label=label,
                required=False,
                help_text=choices.PHOTO_GUIDANCE[key],
                widget=forms.ClearableFileInput(
                    attrs={"accept": "image/jpeg,image/png", "capture": camera}
                ),
            )

    def clean(self):
        cleaned = super().clean()
        uploads = [f for files in self.files.lists() for f in files[1]] if self.files else []
        if len(uploads) > MAX_PHOTOS:
            raise forms.ValidationError(
                f"Please send at most {MAX_PHOTOS} photos, one for each view."
            )
        self.cleaned_photos = []
        budget = PixelBudget()
        for key, _ in choices.PHOTO_VIEWS:
            field = f"photo_{key}"
            if len(self.files.getlist(field)) > 1:
                self.add_error(field, "Please choose one photo for this view.")
                continue
            upload = cleaned.get(field)
            if not upload:
                continue
            if upload.size > MAX_BYTES:
                self.add_error(field, "This photo is larger than 10 MB.")
                continue
            try:
                content, width, height = clean_photo(upload, budget)
            except PhotoError as error:
                self.add_error(field, str(error))
                continue
            self.cleaned_photos.append((key, content, width, height))
        return cleaned

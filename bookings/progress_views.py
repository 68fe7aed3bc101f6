"""The patient's own progress, through their private link: the visits their practitioner has
shared with them, their photos side by side and their measures over time, in plain words.

Only visits a practitioner marked as shared are shown, only to a patient who consented to care
(every online booking does), and only through a link that holds (erasure revokes it). The
photos are the patient's own; serving them to the patient is not a staff read, so it is not in
the audit trail.
"""

from django.http import FileResponse, Http404
from django.shortcuts import render

from bookings.manage_views import PrivateLinkView
from clinic.trend_charts import (
    Axis,
    Series,
    months_label,
    months_nearest,
    nice_axis,
    trend_chart,
)
from clinic.views import error_page
from patients import choices
from patients.models import ClinicPhoto, Consent, SelfRating, VisitMeasures
from patients.photo_files import photo_open

PLAIN_ZONES = {
    "frontal": "at the front",
    "mid_scalp": "in the middle of the top",
    "crown": "at the crown",
    "donor": "at the back and sides",
}


def shared_visits(patient):
    """The patient's shared visits, oldest first: (day, measures, {view: photo}). Two queries."""
    measures = list(
        VisitMeasures.objects.filter(booking__patient=patient, shared_with_patient=True)
        .select_related("booking__location")
        .order_by("booking__starts_at")
    )
    photos = {}
    for photo in ClinicPhoto.objects.filter(booking_id__in=[m.booking_id for m in measures]):
        photos.setdefault(photo.booking_id, {})[photo.view] = photo
    return [
        {
            "day": m.booking.starts_at.astimezone(m.booking.location.zone).date(),
            "measures": m,
            "photos": photos.get(m.booking_id, {}),
        }
        for m in measures
    ]


def plain_words(first, last) -> list[str]:
    """Sentences comparing the first shared visit with the latest, for the patient."""
    sentences = []
    for code, _ in choices.SCALP_ZONES:
        before = getattr(first["measures"], f"{code}_density")
        after = getattr(last["measures"], f"{code}_density")
        if before is None or after is None or code == "donor":
            continue
        where = PLAIN_ZONES[code]
        if after > before:
            sentences.append(
                f"More hairs {where}: {after} per square centimetre, up from {before}."
            )
        elif after < before:
            sentences.append(
                f"Fewer hairs {where}: {after} per square centimetre, down from {before}."
            )
        else:
            sentences.append(f"The same number of hairs {where}: {after} per square centimetre.")
    before, after = first["measures"].shedding, last["measures"].shedding
    if before is not None and after is not None and after != before:
        change = "less" if after < before else "more"
        sentences.append(f"You are shedding {change} hair than at the start.")
    return sentences


def own_ratings(patient) -> list:
    """How the patient rated their hair before each review, oldest first: (day, rating). One
    query. Their own answers, so shown to them whether or not a visit was shared."""
    ratings = (
        SelfRating.objects.filter(booking__patient=patient)
        .exclude(booking__status="cancelled")
        .select_related("booking__location")
        .order_by("booking__starts_at")
    )
    return [(r.booking.starts_at.astimezone(r.booking.location.zone).date(), r) for r in ratings]


def rating_chart(ratings, start):
    """The patient's own 0-10 ratings over time, from ``start`` (their first shared visit, or
    their first rating)."""
    return trend_chart(
        title="How you rated your hair",
        series=[Series("Your rating, 0 to 10", [(day, r.hair_now) for day, r in ratings])],
        axis=Axis(0, 10, "out of 10"),
        start=start,
    )


class PatientProgressView(PrivateLinkView):
    def get(self, request, token):
        patient = self.booking.patient
        consented = Consent.objects.filter(patient=patient, kind=Consent.Kind.CARE).exists()
        visits = shared_visits(patient) if consented else []
        ratings = own_ratings(patient)
        context = {
            "booking": self.booking,
            "visits": visits,
            "charts": [],
            "sentences": [],
            "ratings": ratings,
        }
        if ratings:
            start = visits[0]["day"] if visits else ratings[0][0]
            context["rating_chart"] = rating_chart(ratings, min(start, ratings[0][0]))
        if visits:
            start = visits[0]["day"]
            for visit in visits:
                visit["months"] = months_label(months_nearest(start, visit["day"]))
            context["rows"] = [
                (label, [(v, v["photos"].get(code)) for v in visits])
                for code, label in choices.CLINIC_PHOTO_VIEWS
                if any(v["photos"].get(code) for v in visits)
            ]
            context["sentences"] = plain_words(visits[0], visits[-1]) if len(visits) > 1 else []
            series = [
                Series(
                    label, [(v["day"], getattr(v["measures"], f"{code}_density")) for v in visits]
                )
                for code, label in choices.SCALP_ZONES
            ]
            highest = max((value or 0 for s in series for _, value in s.points), default=0)
            chart = trend_chart(
                title="Hairs per square centimetre",
                series=series,
                axis=nice_axis(0, max(highest * 1.1, 50), "hairs/cm²"),
                start=start,
            )
            context["charts"] = [chart] if chart["has_figures"] else []
        return render(request, "bookings/progress.html", context)


class PatientProgressPhotoView(PrivateLinkView):
    """One photo of a shared visit of the link's patient."""

    def get(self, request, token, photo_id):
        try:
            photo = ClinicPhoto.objects.get(
                pk=photo_id,
                booking__patient=self.booking.patient_id,
                booking__measures__shared_with_patient=True,
            )
        except ClinicPhoto.DoesNotExist:
            raise Http404("No such photo.") from None
        image = photo_open(photo)
        if image is None:
            return error_page(
                request,
                404,
                "This photo is missing",
                "We could not find this photo; the clinic has been told. Your other photos are "
                "not affected.",
            )
        response = FileResponse(image, content_type="image/jpeg")
        response["Cache-Control"] = "private, no-store"
        return response

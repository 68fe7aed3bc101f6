"""The patient rates their hair before a review, through the review's own private link."""

from django.contrib import messages
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from bookings.manage_views import PrivateLinkView, manage_page_actions
from bookings.models import Booking
from patients.models import SelfRating
from treatments.forms import RatingForm
from treatments.ratings import (
    RatingError,
    is_review,
    rating_open,
    rating_submit,
    review_rating,
)


class RatingView(PrivateLinkView):
    def review_or_404(self):
        if not is_review(self.booking):
            raise Http404("This visit is not a review.")
        return self.booking

    def page(self, form, rating, status=200):
        booking = self.booking
        context = {
            "booking": booking,
            "form": form,
            "is_open": rating_open(booking, timezone.now()),
            "rating": rating,
        }
        return render(self.request, "treatments/rating.html", context, status=status)

    def get(self, request, token):
        booking = self.review_or_404()
        existing = SelfRating.objects.filter(booking=booking).first()
        initial = (
            {"hair_now": existing.hair_now, "satisfaction": existing.satisfaction}
            if existing
            else None
        )
        return self.page(RatingForm(initial=initial), existing)

    def post(self, request, token):
        booking = self.review_or_404()
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                rating_submit(
                    booking=booking,
                    hair_now=form.cleaned_data["hair_now"],
                    satisfaction=form.cleaned_data["satisfaction"],
                    now=timezone.now(),
                )
            except RatingError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, "Thank you: your practitioner will see your answer at your review."
                )
                return redirect("bookings:manage", token=token)
        existing = SelfRating.objects.filter(booking=booking).first()
        return self.page(form, existing, status=400)


@receiver(manage_page_actions, sender=Booking, dispatch_uid="treatments-rating-action")
def rating_action(sender, *, booking, now, **kwargs):
    """Offer the rating on the review's own booking page while it is open (one query, and
    none for a booking that cannot be rated now). Once the patient has answered, the page says
    so and offers only to change the answer, rather than asking again."""
    if not rating_open(booking, now):
        return []
    review, rating = review_rating(booking)
    if not review:
        return []
    address = reverse("treatments:rating", args=[booking.token])
    if rating is not None:
        return [
            (
                "Change my answer",
                address,
                f"We have your answer for your review: {rating.hair_now} out of 10.",
            )
        ]
    return [("How is your hair now?", address, "Two quick questions before your review.")]

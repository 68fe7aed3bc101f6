"""Every booking gets a video room of its own. The column's default is drawn once for the rows
already there, so each existing booking is then given its own room."""

from django.db import migrations, models

import bookings.models


def give_each_booking_its_own_room(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    for booking in Booking.objects.only("pk").iterator():
        Booking.objects.filter(pk=booking.pk).update(video_room=bookings.models.new_video_room())


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0017_location_country_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="video_room",
            field=models.CharField(
                default=bookings.models.new_video_room, editable=False, max_length=64
            ),
        ),
        migrations.RunPython(give_each_booking_its_own_room, migrations.RunPython.noop),
    ]

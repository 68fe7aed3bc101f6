"""Private links are looked up by the SHA-256 of their token, then compared in constant time."""

import hashlib

from django.db import migrations, models


def fill_digests(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    for booking in Booking.objects.only("pk", "token").iterator():
        digest = hashlib.sha256(booking.token.encode()).hexdigest()
        Booking.objects.filter(pk=booking.pk).update(token_digest=digest)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0007_checked_in")]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="token_digest",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill_digests, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="booking",
            name="token_digest",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]

from django.conf import settings
from django.db import models


class ClinicalRead(models.Model):
    """One staff read of clinical data (an intake, a photo, an assessment): who, what, when,
    from where. Written by ``clinic.audit.record_read`` and never changed afterwards."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    patient_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=300)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = "clinical record read"

    def __str__(self):
        return f"{self.user} read {self.what} {self.object_id}"

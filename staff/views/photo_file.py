"""A photo's file sent to staff: never cached, and a clear page when the file is missing."""

from django.http import FileResponse

from clinic.views import error_page
from patients.photo_files import photo_open


def photo_file_response(request, photo, *, unaffected: str):
    """The photo's JPEG, or a 404 page saying the file is missing and that ``unaffected`` (the
    rest of the record, in words) is not."""
    image = photo_open(photo)
    if image is None:
        return error_page(
            request,
            404,
            "This photo's file is missing",
            "The photo is listed, but its file could not be found; the problem has been "
            f"logged. {unaffected} not affected.",
        )
    response = FileResponse(image, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response

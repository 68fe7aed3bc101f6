"""Production's static storage: hashed names from the manifest, each URL worked out once."""

import json

import pytest
from django.test import override_settings

from clinic.static_storage import StaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    manifest = {"paths": {"css/clinic.css": "css/clinic.0123abcd.css"}, "version": "1.1"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return StaticFilesStorage(location=str(tmp_path), base_url="/static/")


@override_settings(DEBUG=False)
def test_a_url_is_the_hashed_name_every_time(storage):
    assert storage.url("css/clinic.css") == "/static/css/clinic.0123abcd.css"
    assert storage.url("css/clinic.css") == "/static/css/clinic.0123abcd.css"
    assert storage.urls == {"css/clinic.css": "/static/css/clinic.0123abcd.css"}


@override_settings(DEBUG=False)
def test_a_file_missing_from_the_manifest_is_still_an_error(storage):
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("css/missing.css")
    assert storage.urls == {}


def test_with_debug_on_the_names_are_not_hashed_nor_kept(storage):
    with override_settings(DEBUG=False):
        storage.url("css/clinic.css")
    with override_settings(DEBUG=True):
        assert storage.url("css/clinic.css") == "/static/css/clinic.css"

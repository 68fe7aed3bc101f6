"""The sessions' written-out read (clinic/session_store.py) keeps Django's rules."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from clinic.session_store import SessionStore

pytestmark = pytest.mark.django_db


def saved(data, expires_in):
    store = SessionStore()
    store.update(data)
    store.save()
    Session.objects.filter(pk=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_a_live_session_is_read_whole():
    key = saved({"draft": {"answers": [1, 2]}, "_auth_user_id": "7"}, timedelta(hours=1))
    store = SessionStore(key)
    assert store["draft"] == {"answers": [1, 2]}
    assert store.session_key == key


def test_an_expired_session_is_not_read_and_its_key_is_not_reused():
    key = saved({"_auth_user_id": "7"}, timedelta(seconds=-1))
    store = SessionStore(key)
    assert "_auth_user_id" not in store
    store["new"] = True
    store.save()
    assert store.session_key != key


def test_an_unknown_key_reads_nothing_and_saves_under_a_new_key():
    store = SessionStore("no-such-session-key-at-all")
    assert dict(store.items()) == {}
    store["new"] = True
    store.save()
    assert store.session_key != "no-such-session-key-at-all"
    assert SessionStore(store.session_key)["new"] is True

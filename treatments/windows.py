"""Pure date arithmetic of a plan's windows: no ORM, so it is tested on its own.

Steps form chains, one per protocol of the plan (PRP sessions and medication check-ins run side
by side). A chain's first step is due ``min..max`` days after the plan's start; each later step
``min..max`` days after the step before it: after the day it is booked on, when it is, or else
across the whole window of that step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class StepRule:
    key: int  # the step's identity (its order in the plan)
    chain: int  # the protocol it belongs to
    min_days: int
    max_days: int


@dataclass(frozen=True)
class Window:
    earliest: date
    latest: date

    def holds(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def windows(starts_on: date, rules: list[StepRule], booked: dict[int, date]) -> dict[int, Window]:
    """Return each step's window, given the days of the steps booked so far (by key).

    ``rules`` come in plan order; within a chain that order is the order of the steps.
    """
    result: dict[int, Window] = {}
    before: dict[int, Window] = {}  # the latest window of each chain so far
    for rule in rules:
        previous = before.get(rule.chain, Window(starts_on, starts_on))
        window = Window(
            previous.earliest + timedelta(days=rule.min_days),
            previous.latest + timedelta(days=rule.max_days),
        )
        result[rule.key] = window
        day = booked.get(rule.key)
        before[rule.chain] = Window(day, day) if day is not None else window
    return result


def broken(starts_on: date, rules: list[StepRule], booked: dict[int, date]) -> list[int]:
    """Return the keys of booked steps whose day falls outside their window."""
    found = windows(starts_on, rules, booked)
    return [key for key, day in booked.items() if key in found and not found[key].holds(day)]


@dataclass(frozen=True)
class Offer:
    """A free time for one step: when, the clinic's local day, and who could take it."""

    start: datetime
    end: datetime
    day: date
    practitioner_ids: tuple[int, ...]


def first_fit(
    starts_on: date,
    rules: list[StepRule],
    offers: dict[int, list[Offer]],
    *,
    preferred: int,
    booked: dict[int, date],
    busy: list[tuple[datetime, datetime]],
) -> tuple[dict[int, tuple[Offer, int]], list[int]]:
    """Choose the first free time inside each unbooked step's window, in plan order.

    ``offers`` holds each step's free times, soonest first; ``booked`` the days of steps
    already booked, which are kept. The ``preferred`` practitioner takes a step whenever they
    have a free time in its window; only when they have none does another. A chosen time never
    overlaps ``busy`` (the patient's other bookings) nor another chosen time. Return the choices
    (key -> (offer, practitioner id)) and the keys of the steps that found no time: a step
    without one leaves the rest of its chain without a window too.
    """
    days = dict(booked)
    taken = list(busy)
    chosen: dict[int, tuple[Offer, int]] = {}
    missing: list[int] = []
    stuck: set[int] = set()
    for rule in rules:
        if rule.key in booked:
            continue
        if rule.chain in stuck:
            missing.append(rule.key)
            continue
        window = windows(starts_on, rules, days)[rule.key]
        fitting = [
            offer
            for offer in offers.get(rule.key, [])
            if window.holds(offer.day)
            and not any(offer.start < end and start < offer.end for start, end in taken)
        ]
        own = [offer for offer in fitting if preferred in offer.practitioner_ids]
        if own:
            offer, who = own[0], preferred
        elif fitting:
            offer, who = fitting[0], min(fitting[0].practitioner_ids)
        else:
            missing.append(rule.key)
            stuck.add(rule.chain)
            continue
        chosen[rule.key] = (offer, who)
        days[rule.key] = offer.day
        taken.append((offer.start, offer.end))
    return chosen, missing

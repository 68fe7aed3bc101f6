"""The pure window arithmetic and the first-fit choice of a course, with Hypothesis."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from treatments.windows import Offer, StepRule, Window, broken, first_fit, windows

START = date(2027, 3, 1)


def test_a_chain_counts_from_the_step_before_and_chains_run_side_by_side():
    rules = [StepRule(1, 1, 0, 28), StepRule(2, 1, 21, 42), StepRule(3, 2, 85, 95)]
    found = windows(START, rules, {})
    assert found[1] == Window(date(2027, 3, 1), date(2027, 3, 29))
    assert found[2] == Window(date(2027, 3, 22), date(2027, 5, 10))
    assert found[3] == Window(date(2027, 5, 25), date(2027, 6, 4))  # from the start, not step 2
    booked = windows(START, rules, {1: date(2027, 3, 10)})
    assert booked[2] == Window(date(2027, 3, 31), date(2027, 4, 21))


def test_broken_names_a_booked_step_outside_its_window():
    rules = [StepRule(1, 1, 0, 28), StepRule(2, 1, 21, 42)]
    assert broken(START, rules, {1: date(2027, 3, 10), 2: date(2027, 3, 30)}) == [2]
    assert broken(START, rules, {1: date(2027, 3, 10), 2: date(2027, 3, 31)}) == []


def offer(day_number, hour, who=(1,)):
    start = datetime.combine(START + timedelta(days=day_number), datetime.min.time(), UTC)
    start += timedelta(hours=hour)
    return Offer(start, start + timedelta(hours=1), start.date(), tuple(who))


def test_first_fit_keeps_the_preferred_practitioner_unless_they_have_no_time():
    rules = [StepRule(1, 1, 0, 5), StepRule(2, 1, 7, 7)]
    offers = {
        1: [offer(0, 9, (2,)), offer(3, 9, (1, 2))],
        2: [offer(10, 9, (2,))],
    }
    chosen, missing = first_fit(START, rules, offers, preferred=1, booked={}, busy=[])
    assert missing == []
    assert chosen[1] == (offers[1][1], 1)  # day 3 with them, not day 0 with another
    assert chosen[2] == (offers[2][0], 2)  # nobody else is free: another practitioner


def test_a_step_without_a_time_leaves_the_rest_of_its_chain_missing():
    rules = [StepRule(1, 1, 0, 2), StepRule(2, 1, 7, 9), StepRule(3, 2, 0, 2)]
    offers = {1: [offer(5, 9)], 2: [offer(12, 9)], 3: [offer(1, 9)]}
    chosen, missing = first_fit(START, rules, offers, preferred=1, booked={}, busy=[])
    assert missing == [1, 2]
    assert set(chosen) == {3}


spacings = st.tuples(st.integers(0, 40), st.integers(0, 40)).map(sorted)


@st.composite
def courses(draw):
    count = draw(st.integers(1, 6))
    rules = []
    for key in range(1, count + 1):
        low, high = draw(spacings)
        rules.append(StepRule(key, draw(st.integers(1, 2)), low, high))
    days = draw(st.lists(st.integers(0, 200), min_size=0, max_size=60, unique=True))
    free = sorted(
        (offer(day, draw(st.integers(8, 16)), (draw(st.integers(1, 3)),)) for day in days),
        key=lambda o: o.start,
    )
    busy_days = draw(st.lists(st.sampled_from(days), max_size=5) if days else st.just([]))
    busy = [(offer(day, 8).start, offer(day, 17).start) for day in busy_days]
    return rules, free, busy


@given(courses())
def test_every_course_chosen_keeps_every_window_and_never_overlaps(course):
    rules, free, busy = course
    offers = {rule.key: free for rule in rules}
    chosen, missing = first_fit(START, rules, offers, preferred=1, booked={}, busy=busy)
    days = {key: found.day for key, (found, _) in chosen.items()}
    assert broken(START, rules, days) == []
    assert set(chosen) | set(missing) == {rule.key for rule in rules}
    times = [(found.start, found.end) for found, _ in chosen.values()]
    for start, end in times:
        assert not any(start < b_end and b_start < end for b_start, b_end in busy)
    assert len(set(times)) == len(times)
    # A step left out had no free time inside its window, given the steps chosen before it.
    for key in missing:
        rule = next(r for r in rules if r.key == key)
        earlier_in_chain = [r for r in rules if r.chain == rule.chain and r.key < key]
        if any(r.key in missing for r in earlier_in_chain):
            continue
        window = windows(START, rules, days)[key]
        taken = busy + times
        assert not [
            o
            for o in free
            if window.holds(o.day) and not any(o.start < e and s < o.end for s, e in taken)
        ]

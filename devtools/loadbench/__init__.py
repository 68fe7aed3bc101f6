"""The load benchmark behind `make bench` (`manage.py bench_load`).

It serves the app as production does (gunicorn, whitenoise, DEBUG off) against the benchmark's
PostgreSQL database and drives it with wrk from a second process: the slot picker, the booking
confirm POST (each virtual patient a new person in a slot of their own), the staff day view and
the review queue, beside a floor (``/health/``, one indexed query).

- ``server``: starts and stops gunicorn, reads its workers' peak memory.
- ``client``: a small HTTP client that keeps cookies itself; signs staff in and prepares the
  virtual patients up to the review step.
- ``data``: the benchmark's own rows: slots for the patients, clean-up, the checks afterwards.
- ``wrk``: runs one scenario through ``wrk_bench.lua`` and reads its figures.
- ``report``: the table, the targets and the closing JSON line.
"""

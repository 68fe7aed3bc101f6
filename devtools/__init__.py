"""Development-only tools: the benchmarks, the load harness and the demo clinic.

Nothing in the product (clinic, bookings, patients) imports this package, and it never imports
the tests, so a deployment may leave the folder out; the settings add the app only when present.
"""

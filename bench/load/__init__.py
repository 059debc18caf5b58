"""Load generator and harness: simulated phones over Socket.IO, projector lag, audit.

See bench/README.md. Entry point: ``python -m bench`` (``make bench``).
"""

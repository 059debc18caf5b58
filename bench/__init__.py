"""Benchmarks: load (bench/load: phones over Socket.IO) and export (bench/export). `python -m bench`."""

"""Use cases: load rows, call the domain, persist, notify.

Handlers (HTTP API, console, sockets, CLI) call these and nothing below them.
"""

"""Views: see the live-room issue."""

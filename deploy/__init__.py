"""deploy/: install.sh and its guide; throwaway.py runs install.sh into a test root."""

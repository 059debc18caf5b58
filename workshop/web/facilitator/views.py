"""Console views."""

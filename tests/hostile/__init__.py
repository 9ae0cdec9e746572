"""Hostile submissions (issue 6): builders and the tests that run them."""

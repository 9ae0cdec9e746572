"""An example third-party check package for auditor (see docs/writing-checks.md)."""

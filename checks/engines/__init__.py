"""Machinery shared by several checks; each module says which checks use it."""

"""Grants, calls and funded projects: built by the grants issue."""

"""Hostile inputs for the citizen side (see tests/nasty/__init__.py)."""

from __future__ import annotations

from tests.nasty import Nasty

CASES: list[Nasty] = []

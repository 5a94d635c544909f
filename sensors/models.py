"""Sensor feeds (registry, ingest, readings): built by the sensors issue."""

"""The open datasets, one entry each: what the catalogue lists, the page shows and the nightly refresh writes.

A dataset is its bilingual title and description, its theme (EU data themes, as DCAT-AP_IT requires), how
often it changes, and two functions: its table (columns and rows, for CSV) and its features (GeoJSON). A new
dataset (the surveys' estimates, say) is one more ``register(Dataset(...))`` in ``opendata/datasets.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Table = tuple[list[str], list[list]]

# EU "data theme" vocabulary (http://publications.europa.eu/resource/authority/data-theme/...).
THEME_JUSTICE_SAFETY = "JUST"  # justice, legal system and public safety
THEME_GOVERNMENT = "GOVE"
THEME_REGIONS = "REGI"
THEME_ENVIRONMENT = "ENVI"
# EU "frequency" vocabulary (http://publications.europa.eu/resource/authority/frequency/...).
DAILY = "DAILY"


@dataclass(frozen=True)
class Dataset:
    slug: str
    title_it: str
    title_en: str
    description_it: str
    description_en: str
    theme: str
    table: Callable[[], Table]
    features: Callable[[], dict]
    keywords: tuple[str, ...] = ()
    accrual_periodicity: str = DAILY
    formats: tuple[str, ...] = field(default=("csv", "geojson"))


DATASETS: dict[str, Dataset] = {}


def register(dataset: Dataset) -> Dataset:
    if dataset.slug in DATASETS:
        raise ValueError(f"open dataset {dataset.slug!r} is registered twice")
    DATASETS[dataset.slug] = dataset
    return dataset


def datasets() -> list[Dataset]:
    from . import datasets as _declarations  # noqa: F401  (the entries register themselves)

    return list(DATASETS.values())

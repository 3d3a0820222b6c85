"""Bulk benchmark data (``manage.py seed_scale``): see :mod:`devdata.scale.seed`."""

from devdata.scale.seed import Result, seed_scale
from devdata.scale.users import INVESTIGATOR_20K, INVESTIGATOR_200, SCALE_PASSWORD

__all__ = ["INVESTIGATOR_20K", "INVESTIGATOR_200", "SCALE_PASSWORD", "Result", "seed_scale"]

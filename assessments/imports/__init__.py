"""Importing one year's ratings (`xep_loai` files, DOMAIN.md §8) under one organization.

An imported file is the committee's proposal for the year: every row is checked like an entry
in the grid (each rule of §4.1, counted per grassroots organization of that year), and only a
file without any error is written, through the rating services, all or nothing. The rounds
stay in their editable state: an import proposes, the superior committee still decides.

The table reading, the row helpers and the error/result shapes are those of the cells
imports (cells.imports); only the rating semantics live here.

The package: `parsing` (one row's values), `checks` (the rules across rows), `writing` (the
save) and `importer` (`RatingImporter`, made of those three parts, and `ratings_import`).
Every name is importable from `assessments.imports` as before.
"""

from .importer import RatingImporter, ratings_import
from .parsing import KIND, LEVEL_COLUMN

__all__ = ["KIND", "LEVEL_COLUMN", "RatingImporter", "ratings_import"]

"""A realistic, province-sized data set for benchmarks (`manage.py generate_province`).

`generate_province` (`province`) plans the whole province in memory from a seed (`plan`, over
`structure` and `people`), draws ten years of ratings under each year's rules (`ratings`,
through assessments.demo.drawing), with the 30 + 70 score sheets of the 2025– regime
(`scores`), and writes it all in one transaction with COPY on PostgreSQL (`writer`). The same
arguments and seed give the same province, whatever the machine. `generate_country`
(`country`) puts several provinces under one national root in the same database (DOMAIN §9:
34 provinces), each from its own seed, drawn in parallel processes.
"""

from .country import CountryGenerationError, CountryResult, generate_country, national_root
from .province import (
    DEFAULT_SEED,
    GenerationResult,
    ProvinceExistsError,
    generate_province,
    generate_province_with_tallies,
)

__all__ = [
    "DEFAULT_SEED",
    "CountryGenerationError",
    "CountryResult",
    "GenerationResult",
    "ProvinceExistsError",
    "generate_country",
    "generate_province",
    "generate_province_with_tallies",
    "national_root",
]

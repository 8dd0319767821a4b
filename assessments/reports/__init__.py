"""Official-format reports (DOMAIN §7): context (dataclasses from selectors), the print
templates under templates/assessments/reports/, pdf (the only WeasyPrint import), xlsx (the
Excel twins) and services (rendering, document numbers, report jobs)."""

"""Views of the assessments app, split by screen. Thin: they call selectors and services."""

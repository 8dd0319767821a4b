"""Views of the cells app, split by sub-domain. Thin: they call selectors and services."""

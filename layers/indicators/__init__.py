"""The indicator engine and the plan catalogs."""

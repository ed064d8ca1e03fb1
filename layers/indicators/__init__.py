"""The indicator engine and the plan catalogs.

Public modules
--------------
catalog
    The TOML catalog format (``[[indicator]]`` rows, ``include``, ``[params.*]`` defaults)
    and :func:`~layers.indicators.catalog.load_catalog`.
engine
    :func:`~layers.indicators.engine.compute_records`: every row for every district, street
    and community, as :class:`~layers.indicators.engine.IndicatorResult` records.
inputs
    What metric kinds share: reading a layer for a year and scenario, the filter language,
    parameters, :class:`~layers.indicators.inputs.NoData`.
rows
    One catalog row: :func:`~layers.indicators.rows.evaluate_row` runs its metric kind,
    :func:`~layers.indicators.rows.row_records` sums, compares and makes its records (the
    engine and the Dask partitions, :mod:`layers.indicators.partition`, share them).
registry
    The metric-kind contract: ``@metric_kind`` functions return a
    :class:`~layers.indicators.registry.MetricResult` (values, note, scale, combine rule).
zones
    :func:`~layers.indicators.zones.load_zones`: districts, streets and communities from the
    store, linked, at the levels the project has.

The generic kinds live in :mod:`layers.metrics`, the theme kinds in their theme modules
(:mod:`layers.heating`, :mod:`layers.coverage`, :mod:`layers.rooftop_pv`); the writers of
tables, JSON, CSV and XLSX in :mod:`layers.report`.
"""

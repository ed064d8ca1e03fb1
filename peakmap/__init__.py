"""The ``peakmap`` command: a thin module that wires gis, layers and web."""

"""peakmap's domain: canonical layers, the project manifest and store, themes, indicators."""

"""peakmap's web interface: FastAPI app, Folium maps, offline assets, zh/en text."""

"""Renderers that turn plain data from the services into files: XLSX, CSV, PNG, PDF, JSON."""

"""Catalogue sources. Each module reads one kind of input; `IMPORTERS` maps file suffixes to them."""

"""infopipe: rebuild a report infographic from raw data, with provenance a reviewer can check."""

__version__ = "0.1.0"

"""The registries: column types, rules and filters, claims, print formats."""

"""The data path: reading raw files into typed, validated tables."""

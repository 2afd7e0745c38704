"""Documentation generated from the project's sources (the CRD schema), kept in sync by a test."""

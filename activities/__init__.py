"""Activities: the only code with I/O (notifications now; assessments, documents and look-ups later)."""

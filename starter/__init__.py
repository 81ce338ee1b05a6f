"""The `nrm` command line and the client library under it, plus the connection and settings they share."""

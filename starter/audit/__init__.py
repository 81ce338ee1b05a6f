"""What auditors use: case histories fetched or loaded from files, replay with the current code, verifiable
exports, timelines, deadline compliance and anonymised statistics, all computed from the history events alone.

Nothing here asks the running workflow (no queries): a bug in the workflow must not be able to hide a breach.
"""

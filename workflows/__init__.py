"""Temporal workflows: deterministic orchestration only. They ask domain/ what follows and wait for it."""

"""Pure rules of the NRM process: models, policy, authorization, transitions and deadlines.

Nothing here imports Temporal or does I/O (policy loading reads a file it is handed, nothing else), so every
rule can be unit-tested without a server and the workflow stays a thin orchestrator over these functions.
"""

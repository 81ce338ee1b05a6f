"""Benchmarks of nrmflow against a baseline workflow on the same engine (outside the test run).

See the README, section "Performance".
"""

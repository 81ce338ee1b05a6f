"""Fault injection: nrmflow's cases under crashes, outages and hostile input, each scenario counting what was lost,
duplicated or wrongly accepted (`python -m faults <scenario>`; README "Reliability")."""

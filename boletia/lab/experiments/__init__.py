"""Experiments on a running lab: load, chaos scenarios, and the invariant checker."""

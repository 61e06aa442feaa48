"""Lesson 08, answered: the autoscaler's rule as the student writes it."""

import math


def members_wanted(lag, target_lag, partitions, most):
    """ceil(lag / target) members, no more than the partitions nor `most`, at least one."""
    return max(1, min(math.ceil(lag / target_lag), partitions, most))

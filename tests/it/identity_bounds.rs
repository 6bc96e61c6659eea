//! Bounds on identity look-ups: cache rules, coalescing, budgets.

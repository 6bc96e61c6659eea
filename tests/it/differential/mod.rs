//! Differential tests: the gateway and real frameworks read the same request.

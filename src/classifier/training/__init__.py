"""Training: the in-memory and streaming (out-of-core) trainers, cross-validation, data
checks and sweeps. May import data, model and tracking."""

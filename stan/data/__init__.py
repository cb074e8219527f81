"""Data stage: dataset adapters, the synthetic video generator and the frame manifest."""

"""Bad inputs: every one ends in a refusal sentence or in counted row-level rejects."""

"""What cluster staff take to a meeting: the region map, and (later) the capacity
what-if and the exports (issue 14). Pure functions of the read model's figures."""

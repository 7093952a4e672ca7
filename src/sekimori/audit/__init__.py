"""The audit trail: one hash-chained record per request, written off the request path."""

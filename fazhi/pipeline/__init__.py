"""The pipeline: segment, context, classify, aggregate, tag (issue 15's layers)."""

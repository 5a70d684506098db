"""Evaluation: metrics, scoring on labelled data and on real reports."""

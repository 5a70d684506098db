"""Reading reports as a review office does: outline, key figures, text shared with other reports (issue 20)."""

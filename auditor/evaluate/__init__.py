"""Agreement with human labels: a labelled corpus in, agreement figures out."""

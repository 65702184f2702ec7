"""Which party records are the same actor; screening against sanctions lists (issue 13)."""

# The points ledger, levels and presale campaigns arrive with the loyalty issue.

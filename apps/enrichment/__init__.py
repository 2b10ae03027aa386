"""AI enrichment of leads: runs started from a lead, a selection, a filter or a list (pages
and API), input-hash idempotency, the price authorized through billing before any work, one
task per lead on the `ai` queue with claim tokens, results applied without overwriting what
people typed ("not determined" kept), and one settle step that gives back what failed leads
paid. Rules owned here: which leads a run takes, what it may write on a lead, what a run costs
and what is given back."""

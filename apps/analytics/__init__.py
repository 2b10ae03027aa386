"""Analytics (reads only): daily rollups kept from the lead and meeting events, the overview
cards, channel conversion, the funnel, time to first contact, operators and cohorts (by plan),
CSV/XLSX exports, the weekly e-mail and the lead-drop alert; staff business metrics in admin and
on /metrics. Reads go to a replica when DATABASE_REPLICA_URL is set.
"""

"""Meeting booking: the built-in scheduler (working hours, slot length, buffer, in the tenant's
time zone) or Cal.com behind one `Calendar` interface. The widget's last step offers slots and
books one; a booking moves the lead to "meeting booked", e-mails an .ics invite and emits
`MeetingBooked` (apps/leads/events.py) for the rules and analytics. Two visitors taking one slot:
a unique constraint, the second gets 409 with the next free slots.
"""

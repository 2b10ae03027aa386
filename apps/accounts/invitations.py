"""Carry an invitation through login or sign-up in the session."""

PENDING_INVITATION_SESSION_KEY = "fastlead_pending_invitation"

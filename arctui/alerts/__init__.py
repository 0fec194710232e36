"""Alerts: rules over the recorder's frames, incidents, and delivery through Apprise.

An alert only tells someone; it never acts (every mutation stays behind the gate).
"""

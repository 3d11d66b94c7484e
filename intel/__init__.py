"""Sightline's brain: ingest, the store, metrics, alerts, notes, sharing, reports. No Streamlit here."""

"""Reporters: render diagnoses and inspections (text, rich, JSON, Markdown, HTML, GitHub)."""

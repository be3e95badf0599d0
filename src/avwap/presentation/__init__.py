"""Presentation: byte-stable HTML and SVG rendering shared by reports, scan outputs and the dashboard.

Renders figures computed elsewhere (analytics, scan results); computes none of its own."""

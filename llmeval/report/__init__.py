"""Renderers: console tables, HTML, markdown, JUnit. Pure text out."""

"""BOM

Revision ID: x
"""
revision = "x"
down_revision = ""

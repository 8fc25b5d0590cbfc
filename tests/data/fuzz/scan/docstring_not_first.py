import os
"""not a docstring"""
revision = "a"
down_revision = None

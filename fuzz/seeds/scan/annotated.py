"""Annotated assignments

Revision ID: abc
Revises: def, ghi
"""
from typing import Sequence, Union
revision: str = "abc"
down_revision: Union[str, Sequence[str], None] = ("def", "ghi")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = ["x", 'y']

"""add quota usage

Revision ID: c2d4e6f8a0b1
Revises: c1d3e5f7a9b0
Create Date: 2026-11-20 10:16:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c2d4e6f8a0b1'
down_revision = 'c1d3e5f7a9b0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

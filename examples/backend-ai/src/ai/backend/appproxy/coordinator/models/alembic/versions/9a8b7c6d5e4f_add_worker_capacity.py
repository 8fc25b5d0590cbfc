"""add worker capacity

Revision ID: 9a8b7c6d5e4f
Revises: 7d1e3a9b2c44
Create Date: 2026-11-20 10:11:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a8b7c6d5e4f'
down_revision = '7d1e3a9b2c44'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

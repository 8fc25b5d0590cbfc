"""add circuit health check

Revision ID: a1b2c3d4e5f6
Revises: 7d1e3a9b2c44
Create Date: 2026-11-20 10:12:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1b2c3d4e5f6'
down_revision = '7d1e3a9b2c44'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

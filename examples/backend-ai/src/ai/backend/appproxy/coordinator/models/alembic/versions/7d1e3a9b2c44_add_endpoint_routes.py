"""add endpoint routes

Revision ID: 7d1e3a9b2c44
Revises: 5c6942374c62
Create Date: 2026-11-20 10:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d1e3a9b2c44'
down_revision = '5c6942374c62'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

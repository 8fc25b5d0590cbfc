"""add sessions table

Revision ID: 0d553d59f369
Revises: 5de06da3c2b5
Create Date: 2026-11-20 10:02:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0d553d59f369'
down_revision = '5de06da3c2b5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""add kernels table

Revision ID: a2f6b90c41d7
Revises: 0d553d59f369
Create Date: 2026-11-20 10:03:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2f6b90c41d7'
down_revision = '0d553d59f369'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""add volume mount options

Revision ID: b2e4f6a8c0d2
Revises: b1f3e5a7c9d1
Create Date: 2026-11-20 10:14:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2e4f6a8c0d2'
down_revision = 'b1f3e5a7c9d1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

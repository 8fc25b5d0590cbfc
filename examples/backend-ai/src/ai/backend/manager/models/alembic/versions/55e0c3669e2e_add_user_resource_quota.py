"""add user resource quota

Revision ID: 55e0c3669e2e
Revises: 0d553d59f369
Create Date: 2026-11-20 10:04:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '55e0c3669e2e'
down_revision = '0d553d59f369'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

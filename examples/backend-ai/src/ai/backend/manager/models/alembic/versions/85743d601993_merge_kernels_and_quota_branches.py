"""merge kernels and quota branches

Revision ID: 85743d601993
Revises: 55e0c3669e2e, a2f6b90c41d7
Create Date: 2026-11-20 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '85743d601993'
down_revision = ('55e0c3669e2e', 'a2f6b90c41d7')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

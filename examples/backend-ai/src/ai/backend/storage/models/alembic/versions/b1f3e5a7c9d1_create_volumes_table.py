"""create volumes table

Revision ID: b1f3e5a7c9d1
Revises: 
Create Date: 2026-11-20 10:13:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1f3e5a7c9d1'
down_revision = None
branch_labels = ('volumes',)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

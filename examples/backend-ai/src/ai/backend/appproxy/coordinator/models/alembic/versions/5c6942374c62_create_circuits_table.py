"""create circuits table

Revision ID: 5c6942374c62
Revises: 
Create Date: 2026-11-20 10:09:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c6942374c62'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""initial schema

Revision ID: 5de06da3c2b5
Revises: 
Create Date: 2026-11-20 10:01:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5de06da3c2b5'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

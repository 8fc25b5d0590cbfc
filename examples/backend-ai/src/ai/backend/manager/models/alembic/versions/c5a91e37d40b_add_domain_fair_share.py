"""add domain fair share

Revision ID: c5a91e37d40b
Revises: 85743d601993
Create Date: 2026-11-20 10:06:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5a91e37d40b'
down_revision = '85743d601993'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

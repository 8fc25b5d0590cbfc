"""second

Revision ID: 42da8da5c83e
Revises: 0e34db964b27
Create Date: 2026-11-24 14:41:34.727712

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '42da8da5c83e'
down_revision: Union[str, Sequence[str], None] = '0e34db964b27'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass

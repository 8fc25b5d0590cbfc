"""merge

Revision ID: d74ce52f5f44
Revises: 42da8da5c83e, 8f3dd3e6c912
Create Date: 2026-11-24 14:41:36.130143

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'd74ce52f5f44'
down_revision: Union[str, Sequence[str], None] = ('42da8da5c83e', '8f3dd3e6c912')
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    pass


def downgrade() -> None:
    """Downgrade schema."""
    pass

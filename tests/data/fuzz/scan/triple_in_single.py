revision = '"""'
down_revision = "'''"

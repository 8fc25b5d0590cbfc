revision = "\8\9\q"
down_revision = None

import os
revision = os.environ["X"]
down_revision = None

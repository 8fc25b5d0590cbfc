from mod import *
revision = "a"
down_revision = None

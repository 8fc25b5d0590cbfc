if True:
	revision = "t"
revision = "a"
down_revision = None # tail

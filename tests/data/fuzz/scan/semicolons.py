revision = "a"; down_revision = None; branch_labels = ("x",); depends_on = None

revision = down_revision = "same"
branch_labels = depends_on = None
